package geoio

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"citygrid/data"
	"citygrid/data/gpkg"
)

func TestReadChangesetGeoJSON(t *testing.T) {
	cs, err := ReadChangesetGeoJSON(strings.NewReader(`{"type":"FeatureCollection","base_time":"2026-01-02T03:04:05Z","features":[
	 {"type":"Feature","geometry":{"type":"Point","coordinates":[118.77,31.99]},"properties":{"code":"3201140101000009","category":"0101","name":"井盖","status":"Damaged","survey_date":"2026-03-01"}},
	 {"type":"Feature","geometry":null,"properties":{"code":"3201140101000001","note":"换新","version":4}},
	 {"type":"Feature","geometry":null,"properties":{"_op":"delete","code":"3201140213000001","_base_version":"2"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if cs.BaseTime.Format("2006-01-02T15:04:05Z07:00") != "2026-01-02T03:04:05Z" || len(cs.Items) != 3 {
		t.Fatalf("%+v", cs)
	}
	a, m, d := cs.Items[0], cs.Items[1], cs.Items[2]
	if a.Op != "" || a.Component.Geometry != (orb.Point{118.77, 31.99}) || a.Component.Status != data.StatusDamaged || a.Component.SurveyDate.Day() != 1 || !a.Fields["geometry"] {
		t.Errorf("add %+v", a)
	}
	if m.BaseVersion != 4 || m.Fields["geometry"] || !m.Fields["note"] || m.Fields["name"] || m.Component.Note != "换新" {
		t.Errorf("modify %+v", m)
	}
	if d.Op != data.CSDelete || d.BaseVersion != 2 || d.Where != "feature 2" {
		t.Errorf("delete %+v", d)
	}

	_, err = ReadChangesetGeoJSON(strings.NewReader(`{"type":"FeatureCollection","features":[
	 {"type":"Feature","geometry":null,"properties":{"code":"1","_op":"replace"}},
	 {"type":"Feature","geometry":null,"properties":{"code":"2","name":7.5,"survey_date":"March","_base_version":-1}}]}`))
	var ves data.ValidationErrors
	if !errors.As(err, &ves) {
		t.Fatalf("bad features: %v", err)
	}
	got := map[string]bool{}
	for _, v := range ves {
		got[v.Where+" "+v.Field] = true
	}
	for _, want := range []string{"feature 0 _op", "feature 1 survey_date", "feature 1 _base_version"} {
		if !got[want] {
			t.Errorf("no error for %s in %v", want, ves)
		}
	}
	if _, err := ReadChangesetGeoJSON(strings.NewReader(`{"type":"Feature"}`)); err == nil {
		t.Error("a Feature was read as a changeset")
	}
	if _, err := ReadChangesetGeoJSON(strings.NewReader(`{"type":`)); !errors.Is(err, ErrSyntax) {
		t.Errorf("broken JSON: %v", err)
	}
}

func TestReadChangesetGeoPackage(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "survey.gpkg")
	st, err := gpkg.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db := st.DB()
	if _, err := db.Exec(`ALTER TABLE components ADD COLUMN _op TEXT`); err != nil {
		t.Fatal(err)
	}
	ins := `INSERT INTO components (geom, code, category, name, department, owner, maintainer, status, unit_grid, version, note, _op) VALUES (?, ?, ?, ?, '', '', '', ?, '', ?, ?, ?)`
	if _, err := db.Exec(ins, gpkg.AppendGeometry(nil, orb.Point{118.77, 31.99}, gpkg.SRSCGCS2000), "3201140101000009", "0101", "井盖", "intact", 0, "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ins, nil, "3201140213000001", "0213", "", "intact", 3, "", "delete"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	cs, err := ReadChangesetGeoPackage(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Items) != 2 {
		t.Fatalf("%d items", len(cs.Items))
	}
	a, d := cs.Items[0], cs.Items[1]
	if a.Op != "" || a.Component.Geometry != (orb.Point{118.77, 31.99}) || a.Component.Code != "3201140101000009" || a.Where != "fid 1" {
		t.Errorf("add %+v", a)
	}
	if d.Op != data.CSDelete || d.BaseVersion != 3 || d.Component.Geometry != nil {
		t.Errorf("delete %+v", d)
	}
}

func TestAChangesetInGaussKrugerIsReprojected(t *testing.T) {
	if !GDALAvailable() {
		t.Skip("ogr2ogr not installed (Debian package gdal-bin)")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "cs.geojson")
	if err := os.WriteFile(src, []byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}},"features":[
	 {"type":"Feature","geometry":{"type":"Point","coordinates":[120.17,30.25]},"properties":{"_op":"modify","_base_version":3,"code":"3301020101000009","name":"井盖"}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "cs.gpkg")
	if out, err := exec.Command("ogr2ogr", "-f", "GPKG", "-t_srs", "EPSG:4549", "-nln", "components", in, src).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, out)
	}
	cs, err := ReadChangesetGeoPackage(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Items) != 1 {
		t.Fatalf("%d items", len(cs.Items))
	}
	it := cs.Items[0]
	p, _ := it.Component.Geometry.(orb.Point)
	// 1e-9° is 0.1 mm.
	if it.Op != data.CSModify || it.BaseVersion != 3 || it.Component.Name != "井盖" || math.Abs(p[0]-120.17) > 1e-9 || math.Abs(p[1]-30.25) > 1e-9 {
		t.Errorf("item %+v at %v", it, p)
	}
}
