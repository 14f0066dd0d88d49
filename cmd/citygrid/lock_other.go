//go:build !unix

package main

// lockDir is a no-op where advisory file locks are not available.
func lockDir(dir string) (unlock func(), err error) { return func() {}, nil }

// lockServing is a no-op where advisory file locks are not available.
func lockServing(dir string, exclusive bool) (unlock func(), err error) { return func() {}, nil }
