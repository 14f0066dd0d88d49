package city

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
)

// TestReportsTakeTheirDeadlineClassFromTheCitysCatalogue: a category the
// city's catalogue marks urgent gives its cases the urgent deadline class
// (continuous hours), stated as coming from the catalogue; a category
// without a class gets none.
func TestReportsTakeTheirDeadlineClassFromTheCitysCatalogue(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := gpkg.Open(ctx, filepath.Join(dir, "citygrid.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	city := gpkgtest.City()
	for i := range city.Categories {
		c := &city.Categories[i]
		switch {
		case c.Kind == data.KindComponent && c.Code == "0101":
			c.DeadlineClass = "urgent"
		default:
			c.DeadlineClass = ""
		}
	}
	if err := st.Insert(ctx, city); err != nil {
		t.Fatal(err)
	}
	ds, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(ctx, Config{Store: st, Dataset: ds, Dir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	pt := ds.Components[0].Geometry.Bound().Center()
	op := data.Principal{User: "op1", Role: data.RoleOperator}
	for _, tc := range []struct {
		kind            data.CategoryKind
		category, class string
	}{{data.KindComponent, "0101", "urgent"}, {data.KindComponent, "0213", ""}} {
		got, err := c.Workflow.Service.Report(ctx, op, cases.NewCase{Source: cases.SourceHotline, Kind: tc.kind, Category: tc.category,
			Lon: &pt[0], Lat: &pt[1], Description: "测试"})
		if err != nil {
			t.Fatal(err)
		}
		if got.DeadlineClass != tc.class || (tc.class != "" && got.DeadlineClassFrom != cases.ClassFromCatalogue) {
			t.Errorf("%s: deadline class %q from %q, want %q from the catalogue", tc.category, got.DeadlineClass, got.DeadlineClassFrom, tc.class)
		}
	}
}
