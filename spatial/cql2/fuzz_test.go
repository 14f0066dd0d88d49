package cql2

import (
	"errors"
	"testing"
)

// fuzzCheck runs what a server does with a parsed filter: type it, plan
// it and evaluate it on a feature. None of it may panic, and a parser
// error must be an *Error.
func fuzzCheck(t *testing.T, e *Expr, err error) {
	if err != nil {
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("error %v (%T) is not an *Error", err, err)
		}
		return
	}
	_, _ = Compile(e, Queryables{"status": TypeString, "version": TypeInteger, "geometry": TypeGeometry})
	f, err := Compile(e, nil)
	if err != nil {
		t.Fatalf("Compile without queryables: %v", err)
	}
	f.Plan("geometry")
	f.Match(lamp)
}

func FuzzParseText(f *testing.F) {
	for _, c := range cases {
		f.Add(c.text)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseText(s)
		fuzzCheck(t, e, err)
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, c := range cases {
		f.Add([]byte(c.json))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseJSON(b)
		fuzzCheck(t, e, err)
	})
}
