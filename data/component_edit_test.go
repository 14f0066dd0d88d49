package data

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// Code sequences go on after the largest code the store ever held, count
// up within one transaction per prefix, and run out after 999999.
func TestNextComponentCode(t *testing.T) {
	stored := map[string]string{"3201140101": "3201140101000041", "3201140102": ""}
	reads := 0
	last := func(lo, hi string) (string, error) {
		reads++
		if len(lo) != 16 || !strings.HasSuffix(lo, "000000") || !strings.HasSuffix(hi, "999999") || lo[:10] != hi[:10] {
			t.Fatalf("asked for %s..%s", lo, hi)
		}
		return stored[lo[:10]], nil
	}
	taken := map[string]int{}
	for _, want := range []string{"3201140101000042", "3201140101000043"} {
		if got, err := NextComponentCode("320114", "0101", taken, last); err != nil || got != want {
			t.Fatalf("got %s %v, want %s", got, err, want)
		}
	}
	if got, _ := NextComponentCode("320114", "0102", taken, last); got != "3201140102000001" {
		t.Fatalf("first code of an unused prefix: %s", got)
	}
	if reads != 2 {
		t.Fatalf("the store was read %d times for 2 prefixes", reads)
	}
	stored["3201140103"] = "3201140103999999"
	var ve *ValidationError
	if _, err := NextComponentCode("320114", "0103", taken, last); !errors.As(err, &ve) || ve.Field != "code" {
		t.Fatalf("a full prefix: %v", err)
	}
}

// A stored changeset reads back as it was uploaded: items, operations,
// base versions, the fields given (nil: all) and the base time.
func TestChangesetDocumentRoundTrip(t *testing.T) {
	base := time.Date(2026, 3, 2, 9, 30, 15, 500, time.UTC)
	cs := &Changeset{BaseTime: base, Items: []ChangesetItem{
		{Op: CSModify, Where: "feature 1", BaseVersion: 3, Fields: map[string]bool{"name": true, "geometry": true},
			Component: Component{Code: "3201140101000042", Category: "0101", Name: "上水井盖", Geometry: orb.Point{118.78, 31.99}}},
		{Op: CSAdd, Where: "feature 2", Component: Component{Category: "0102", Geometry: orb.Point{118.79, 31.98}}},
	}}
	sc, err := EncodeChangeset(cs)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sc.ID, "cs_") || len(sc.ID) != 27 || sc.BaseTime != "2026-03-02T09:30:15.0000005Z" {
		t.Fatalf("stored as %s, base time %q", sc.ID, sc.BaseTime)
	}
	got, err := DecodeChangeset(sc.ID, sc.Items)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != sc.ID || !got.BaseTime.Equal(base) || len(got.Items) != 2 {
		t.Fatalf("read back %+v", got)
	}
	a, b := got.Items[0], got.Items[1]
	if a.Op != CSModify || a.BaseVersion != 3 || !reflect.DeepEqual(a.Fields, map[string]bool{"name": true, "geometry": true}) ||
		a.Component.Name != "上水井盖" || a.Component.Geometry != (orb.Point{118.78, 31.99}) {
		t.Fatalf("first item %+v", a)
	}
	if b.Op != CSAdd || b.Fields != nil || b.Component.Category != "0102" {
		t.Fatalf("second item %+v", b)
	}
	if _, err := DecodeChangeset("cs_x", []byte(`{"items":[{"component":{`)); err == nil {
		t.Fatal("a broken document decoded")
	}
}

// A layer as it was: features changed since come back as they were, those
// created since (nil) are left out, the rest stay; in code order.
func TestFeaturesAsOf(t *testing.T) {
	now := []UnitGrid{{Code: "C"}, {Code: "A", AreaM2: 2}, {Code: "D"}}
	then := map[string]*UnitGrid{"A": {Code: "A", AreaM2: 1}, "D": nil, "B": {Code: "B"}}
	got, err := FeaturesAsOf(then, func(g *UnitGrid) string { return g.Code }, func(keep func(*UnitGrid)) error {
		for i := range now {
			keep(&now[i])
		}
		return nil
	})
	want := []UnitGrid{{Code: "A", AreaM2: 1}, {Code: "B"}, {Code: "C"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v %v, want %+v", got, err, want)
	}
	var a AsOf
	a.UnitGrids = func(_ context.Context, _ time.Time, code string) ([]UnitGrid, error) {
		if code == "Z" {
			return nil, nil
		}
		return got[:1], nil
	}
	if _, err := a.UnitGridAsOf(context.Background(), "Z", base0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a grid that did not exist: %v", err)
	}
	if g, err := a.UnitGridAsOf(context.Background(), "A", base0); err != nil || g.AreaM2 != 1 {
		t.Fatalf("grid A as of: %+v %v", g, err)
	}
}

var base0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
