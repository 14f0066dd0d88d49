// Package storetest is the behaviour every data.Store implementation must
// have, as one test suite run against each (the GeoPackage store in this
// package's tests, the PostgreSQL store in data/pgstore's).
package storetest

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"citygrid/data"
	"citygrid/data/gpkg/gpkgtest"
)

// MetaGeneration is the metadata key both stores count committed inserts
// under.
const MetaGeneration = "store.generation"

// Open makes a new, empty store for one test; the suite closes it.
type Open func(t *testing.T) data.Store

// Run runs the suite against the stores open makes.
func Run(t *testing.T, open Open) {
	t.Run("RoundTripKeepsEveryLayer", func(t *testing.T) { roundTrip(t, open) })
	t.Run("InsertConflicts", func(t *testing.T) { conflicts(t, open) })
	t.Run("ComponentLookup", func(t *testing.T) { componentLookup(t, open) })
	t.Run("Meta", func(t *testing.T) { meta(t, open) })
	t.Run("RuleIDs", func(t *testing.T) { ruleIDs(t, open) })
}

func newStore(t *testing.T, open Open) data.Store {
	st := open(t)
	t.Cleanup(func() { st.Close() })
	return st
}

// CompareDatasets compares two cities layer by layer, feature by feature.
func CompareDatasets(t *testing.T, got, want *data.Dataset) {
	t.Helper()
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := 0; i < gv.NumField(); i++ {
		g, w := gv.Field(i), wv.Field(i)
		if g.Kind() != reflect.Slice {
			continue // ChangeSeq: where the store's log stood, not city data
		}
		if g.Len() != w.Len() {
			t.Errorf("%s: %d features, want %d", gv.Type().Field(i).Name, g.Len(), w.Len())
			continue
		}
		for j := 0; j < g.Len(); j++ {
			if !reflect.DeepEqual(g.Index(j).Interface(), w.Index(j).Interface()) {
				t.Errorf("%s[%d]:\n got %#v\nwant %#v", gv.Type().Field(i).Name, j, g.Index(j).Interface(), w.Index(j).Interface())
			}
		}
	}
}

func roundTrip(t *testing.T, open Open) {
	ctx := context.Background()
	st := newStore(t, open)
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatalf("Insert: %v", err)
	}
	got, err := st.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	CompareDatasets(t, got, gpkgtest.City())
}

func conflicts(t *testing.T, open Open) {
	tests := []struct {
		name     string
		batch    func() *data.Dataset
		wantCode string
	}{
		{"component already stored", func() *data.Dataset {
			return &data.Dataset{Components: gpkgtest.City().Components[:1]}
		}, gpkgtest.City().Components[0].Code},
		{"component given twice in one batch", func() *data.Dataset {
			c := gpkgtest.City().Components[0]
			c.Code = "3201140101000099"
			return &data.Dataset{Components: []data.Component{c, c}}
		}, "3201140101000099"},
		{"a duplicate deep inside a large batch", func() *data.Dataset {
			base := gpkgtest.City().Components[0]
			var cs []data.Component
			for i := 1; i <= 500; i++ {
				c := base
				c.Code = data.ComponentCode("320114", "0101", 1000+i)
				cs = append(cs, c)
			}
			cs[431].Code = cs[17].Code
			return &data.Dataset{Components: cs}
		}, "3201140101001018"},
		{"rule id already stored", func() *data.Dataset {
			return &data.Dataset{Rules: gpkgtest.City().Rules[:1]}
		}, "id 1"},
		{"unit grid already stored, after other layers were written", func() *data.Dataset {
			c := gpkgtest.City().Components[0]
			c.Code = "3201140101000777"
			return &data.Dataset{
				Departments: []data.Department{{Code: "D0100", Name: "新部门", Kind: data.DeptBureau}},
				UnitGrids:   gpkgtest.City().UnitGrids[1:],
				Components:  []data.Component{c},
			}
		}, gpkgtest.City().UnitGrids[1].Code},
		{"management grid of the same kind and code", func() *data.Dataset {
			return &data.Dataset{ManagementGrids: gpkgtest.City().ManagementGrids[:1]}
		}, gpkgtest.City().ManagementGrids[0].Code},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := newStore(t, open)
			if err := st.Insert(ctx, gpkgtest.City()); err != nil {
				t.Fatal(err)
			}
			err := st.Insert(ctx, tt.batch())
			if !errors.Is(err, data.ErrConflict) {
				t.Fatalf("Insert = %v, want ErrConflict", err)
			}
			if !strings.Contains(err.Error(), tt.wantCode) {
				t.Errorf("error %q does not name %s", err, tt.wantCode)
			}
			got, err := st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			CompareDatasets(t, got, gpkgtest.City())
			if g, _ := st.Meta(ctx, MetaGeneration); g != "1" {
				t.Errorf("generation after one good and one failed insert = %q, want 1", g)
			}
		})
	}
}

func componentLookup(t *testing.T, open Open) {
	ctx := context.Background()
	st := newStore(t, open)
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	for _, want := range gpkgtest.City().Components {
		got, err := st.Component(ctx, want.Code)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("Component(%s) = %#v, %v; want %#v", want.Code, got, err, want)
		}
	}
	if _, err := st.Component(ctx, "3201140101999999"); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("Component(absent) = %v, want ErrNotFound", err)
	}
}

func meta(t *testing.T, open Open) {
	ctx := context.Background()
	st := newStore(t, open)
	if v, err := st.Meta(ctx, "absent"); err != nil || v != "" {
		t.Errorf("Meta(absent) = %q, %v; want empty", v, err)
	}
	for _, v := range []string{"42", "43", "雨花台区\t\n"} {
		if err := st.SetMeta(ctx, "seed", v); err != nil {
			t.Fatal(err)
		}
		if got, err := st.Meta(ctx, "seed"); err != nil || got != v {
			t.Errorf("Meta(seed) = %q, %v; want %q", got, err, v)
		}
	}
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	if err := st.Insert(ctx, &data.Dataset{}); err != nil {
		t.Fatal(err)
	}
	if g, _ := st.Meta(ctx, MetaGeneration); g != "2" {
		t.Errorf("generation after two inserts = %q, want 2", g)
	}
}

func ruleIDs(t *testing.T, open Open) {
	ctx := context.Background()
	st := newStore(t, open)
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	before, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	maxID := int64(0)
	for _, r := range before.Rules {
		maxID = max(maxID, r.ID)
	}
	r := gpkgtest.City().Rules[0]
	r.ID = 0
	r.Note = "new"
	if err := st.Insert(ctx, &data.Dataset{Rules: []data.Rule{r}}); err != nil {
		t.Fatal(err)
	}
	after, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Rules) != len(before.Rules)+1 {
		t.Fatalf("%d rules after adding one to %d", len(after.Rules), len(before.Rules))
	}
	if got := after.Rules[len(after.Rules)-1]; got.ID != maxID+1 || got.Note != "new" {
		t.Errorf("new rule = %+v, want id %d", got, maxID+1)
	}
	dup := gpkgtest.City().Rules[0]
	if err := st.Insert(ctx, &data.Dataset{Rules: []data.Rule{dup}}); !errors.Is(err, data.ErrConflict) {
		t.Errorf("a rule id already stored: %v, want ErrConflict", err)
	}
}
