package features_test

import (
	"context"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/demo"
	"citygrid/spatial"
	"citygrid/spatial/features"
)

func smallCity(t *testing.T) (*data.Dataset, *spatial.Index) { return cityOf(t, 2, 0.01) }

// cityOf is a demo city and its index.
func cityOf(t testing.TB, seed int64, scale float64) (*data.Dataset, *spatial.Index) {
	t.Helper()
	ds, err := demo.Generate(context.Background(), demo.Options{Seed: seed, Scale: scale})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := spatial.Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	return ds, ix
}

func TestEveryCollectionListsItsLayerWholeAndFindsEachItem(t *testing.T) {
	ds, ix := smallCity(t)
	want := map[string]int{"components": len(ds.Components), "unit_grids": len(ds.UnitGrids),
		"management_grids": len(ds.ManagementGrids)}
	for _, u := range ds.AdminUnits {
		want[map[data.AdminLevel]string{data.LevelDistrict: "districts", data.LevelStreet: "streets",
			data.LevelCommunity: "communities"}[u.Level]]++
	}
	for _, c := range features.Collections() {
		page, err := c.Items(ix, features.Query{Limit: features.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		if page.Matched != want[c.ID] || len(page.Items) != min(want[c.ID], features.MaxLimit) || want[c.ID] == 0 {
			t.Errorf("%s: %d matched, %d items; the layer has %d", c.ID, page.Matched, len(page.Items), want[c.ID])
			continue
		}
		for _, it := range page.Items[:min(20, len(page.Items))] {
			got, ok := c.Item(ix, it.ID)
			if !ok || got.ID != it.ID || got.Properties["code"] != it.Properties["code"] {
				t.Errorf("%s: item %s not found by id (%v)", c.ID, it.ID, ok)
			}
		}
		if _, ok := c.Item(ix, "nope"); ok {
			t.Errorf("%s: found an item with id nope", c.ID)
		}
		b, first, last, ok := c.Extent(ix)
		if !ok || b.Min[0] < 100 || b.Max[0] > 130 || (c.Temporal != "") != !last.IsZero() || first.After(last) {
			t.Errorf("%s: extent %v %v..%v %v", c.ID, b, first, last, ok)
		}
	}
}

func TestPropertyFiltersAndDatetimeReadTheQueryablesTypes(t *testing.T) {
	ds, ix := smallCity(t)
	comps, _ := features.Lookup("components")
	c0 := ds.Components[0]
	eq, err := comps.PropertyFilter("status", string(c0.Status))
	if err != nil {
		t.Fatal(err)
	}
	ver, err := comps.PropertyFilter("version", "1")
	if err != nil {
		t.Fatal(err)
	}
	f, err := comps.Filter(eq, ver, nil)
	if err != nil {
		t.Fatal(err)
	}
	page, err := comps.Items(ix, features.Query{Filter: f, Limit: features.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range ds.Components {
		if c.Status == c0.Status && c.Version == 1 {
			n++
		}
	}
	if page.Matched != n || n == 0 {
		t.Errorf("status=%s&version=1: %d, want %d", c0.Status, page.Matched, n)
	}
	for _, bad := range [][2]string{{"version", "one"}, {"geometry", "x"}, {"colour", "red"}, {"survey_date", "yesterday"}} {
		if _, err := comps.PropertyFilter(bad[0], bad[1]); err == nil {
			t.Errorf("%s=%s accepted", bad[0], bad[1])
		}
	}
	// datetime: an interval around one component's change time holds it.
	at := c0.ChangedAt
	for _, s := range []string{
		at.Format(time.RFC3339Nano), at.Add(-time.Hour).Format(time.RFC3339) + "/" + at.Add(time.Hour).Format(time.RFC3339),
		"../" + at.Add(time.Second).Format(time.RFC3339), at.Format(time.DateOnly) + "/..", at.UTC().Format(time.DateOnly),
	} {
		e, err := comps.Datetime(s)
		if err != nil {
			t.Fatalf("datetime %s: %v", s, err)
		}
		f, err := comps.Filter(e, eq)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		page, _ := comps.Items(ix, features.Query{Filter: f, Limit: features.MaxLimit})
		for _, it := range page.Items {
			found = found || it.ID == c0.Code
		}
		if !found {
			t.Errorf("datetime %s does not select %s changed at %s", s, c0.Code, at)
		}
	}
	for _, bad := range []string{"../..", "2026-13-01", "2026-02-01/2026-01-01", "now"} {
		if _, err := comps.Datetime(bad); err == nil {
			t.Errorf("datetime %q accepted", bad)
		}
	}
	grids, _ := features.Lookup("unit_grids")
	if e, err := grids.Datetime("2026-01-01"); e != nil || err != nil {
		t.Errorf("datetime on unit grids (no temporal property): %v, %v; want it ignored", e, err)
	}
	if _, err := comps.Items(ix, features.Query{Limit: 0}); err == nil {
		t.Error("limit 0 accepted")
	}
}

func TestItemsAsOfAnswerAsItemsDoOverTheSameFeatures(t *testing.T) {
	ds, ix := smallCity(t)
	h := features.History{Components: ds.Components, UnitGrids: ds.UnitGrids}
	for _, id := range []string{"components", "unit_grids"} {
		c, _ := features.Lookup(id)
		b := ds.UnitGrids[len(ds.UnitGrids)/2].Geometry.Bound().Pad(0.002)
		f, err := c.Filter(c.BBox(b))
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []features.Query{{Limit: 7}, {Limit: 7, Filter: f}, {Limit: 3, Filter: f, After: ds.UnitGrids[0].Code}} {
			now, err1 := c.Items(ix, q)
			past, err2 := c.ItemsAsOf(h, q)
			if err1 != nil || err2 != nil || now.Matched != past.Matched || now.Next != past.Next || len(now.Items) != len(past.Items) || now.Matched == 0 {
				t.Fatalf("%s %+v: now %d/%s, past %d/%s (%v %v)", id, q, now.Matched, now.Next, past.Matched, past.Next, err1, err2)
			}
			for i := range now.Items {
				if now.Items[i].ID != past.Items[i].ID {
					t.Fatalf("%s: item %d %s vs %s", id, i, now.Items[i].ID, past.Items[i].ID)
				}
			}
		}
	}
	d, _ := features.Lookup("districts")
	if _, err := d.ItemsAsOf(h, features.Query{Limit: 1}); err == nil {
		t.Error("as-of districts answered")
	}
}
