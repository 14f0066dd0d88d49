package main

import (
	"context"
	"errors"
)

func runBake(ctx context.Context, args []string) error { return errors.New("not implemented yet") }
