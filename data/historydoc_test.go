package data

import (
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// TestHistoryDocuments: documents written by hand in the form both stores
// kept before they shared these functions (the GeoPackage store's
// millisecond change time, the PostgreSQL store's microsecond one with a
// zone) read back to the same component; a unit grid kept as a Polygon
// reads back as a MultiPolygon; encode → decode keeps every field.
func TestHistoryDocuments(t *testing.T) {
	want := time.Date(2026, 3, 2, 1, 0, 0, 123000000, time.UTC)
	for _, doc := range []string{
		`{"code":"3201140101000001","category":"0101","name":"上水井盖","geometry":{"type":"Point","coordinates":[118.765,31.995]},"department":"D0003","owner":"D0003","maintainer":"D0003","status":"intact","unit_grid":"320114001001001","survey_date":"2025-05-01","changed_at":"2026-03-02T01:00:00.123Z","version":3,"note":"铸铁"}`,
		`{"code":"3201140101000001","category":"0101","name":"上水井盖","geometry":{"type":"Point","coordinates":[118.765,31.995]},"department":"D0003","owner":"D0003","maintainer":"D0003","status":"intact","unit_grid":"320114001001001","survey_date":"2025-05-01","changed_at":"2026-03-02T09:00:00.123000+08:00","version":3,"note":"铸铁"}`,
	} {
		c, err := UnmarshalComponentDoc([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if !c.ChangedAt.Equal(want) || c.ChangedAt.Location() != time.UTC || c.SurveyDate != time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC) ||
			c.Geometry != (orb.Point{118.765, 31.995}) || c.Version != 3 || c.Status != StatusIntact || c.Note != "铸铁" || c.UnitGrid != "320114001001001" {
			t.Fatalf("%s read as %+v", doc, c)
		}
		b, err := MarshalComponentDoc(c)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := UnmarshalComponentDoc(b); err != nil || !again.ChangedAt.Equal(want) || again.Geometry != c.Geometry || again.Owner != "D0003" {
			t.Fatalf("round trip %s: %+v %v", b, again, err)
		}
	}
	if c, err := UnmarshalComponentDoc(nil); c != nil || err != nil {
		t.Fatalf("nil document: %v %v", c, err)
	}
	g, err := UnmarshalUnitGridDoc([]byte(`{"code":"320114001001001","community":"320114001001","area_m2":12.5,"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}`))
	if err != nil || len(g.Geometry) != 1 || len(g.Geometry[0][0]) != 4 || g.AreaM2 != 12.5 {
		t.Fatalf("unit grid %+v %v", g, err)
	}
	if _, err := UnmarshalUnitGridDoc([]byte(`{"code":"x","geometry":{"type":"Point","coordinates":[0,0]}}`)); err == nil {
		t.Fatal("a point unit grid was accepted")
	}
}
