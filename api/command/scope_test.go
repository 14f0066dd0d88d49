package command

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"citygrid/api/internal/testcity"
	"citygrid/data"
	"citygrid/data/cases"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// TestUnitTokensReceiveTheirUnitsEventsOnly: a unit's event stream
// carries the changes of its own cases, as its case list does; a
// viewer's carries every change.
func TestUnitTokensReceiveTheirUnitsEventsOnly(t *testing.T) {
	streams := map[string][]string{}
	for _, p := range []data.Principal{{User: "water", Role: data.RoleUnit, Unit: "D-WATER"}, {User: "v", Role: data.RoleViewer}} {
		b, h := newBoardServerAs(t, p)
		srv := httptest.NewServer(h)
		res, err := http.Get(srv.URL + "/api/v1/case-events")
		if err != nil {
			t.Fatal(err)
		}
		rd := bufio.NewReader(res.Body)
		next := func() string {
			for {
				line, err := rd.ReadString('\n')
				if err != nil {
					t.Fatal(err)
				}
				if v, ok := strings.CutPrefix(strings.TrimSpace(line), "data: "); ok {
					return v
				}
			}
		}
		next() // hello
		for i, unit := range []string{"D-LIGHT", "D-WATER"} {
			id := int64(100 + i)
			c := cases.Case{ID: id, Number: "N" + strconv.FormatInt(id, 10), Kind: data.KindEvent, Category: "0406", Source: cases.SourceCitizen,
				Point: orb.Point{118.7125, 31.9175}, UnitGrid: testcity.GridA2, Community: testcity.CommunityA, Street: testcity.Street,
				Unit: unit, State: cases.StateDispatched, ReportedAt: boardNow}
			b.Apply(&c, &cases.Transition{CaseID: id, Action: "dispatch", To: cases.StateDispatched, At: boardNow})
		}
		got := next()
		if p.Role == data.RoleViewer {
			got += " " + next()
		}
		streams[string(p.Role)] = strings.Fields(got)
		res.Body.Close()
		srv.Close()
	}
	if u := streams["unit"]; len(u) != 1 || !strings.Contains(u[0], `"id":101`) {
		t.Errorf("the water unit's stream: %v", u)
	}
	if v := streams["viewer"]; len(v) != 2 || !strings.Contains(v[0], `"id":100`) || !strings.Contains(v[1], `"id":101`) {
		t.Errorf("the viewer's stream: %v", v)
	}
}

// TestPublicCaseTilesShowWhatOpen311Shows: without a token the case map
// leaves out the report source and urgency (Open311 publishes neither),
// refuses a source filter, and shows the last 90 days of reports only; a
// viewer sees all of it. A unit's token sees its unit's cases only.
func TestPublicCaseTilesShowWhatOpen311Shows(t *testing.T) {
	p := orb.Point{118.7125, 31.9175}
	tc := maptile.At(p, 16)
	tile := "/tiles/cases/16/" + strconv.Itoa(int(tc.X)) + "/" + strconv.Itoa(int(tc.Y)) + ".mvt"
	features := func(pr data.Principal, query string) (map[int64]map[string]any, int) {
		b, h := newBoardServerAs(t, pr)
		for i, c := range []struct {
			unit string
			days int
		}{{"D-WATER", 1}, {"D-LIGHT", 100}} {
			id := int64(200 + i)
			at := b.Layer().Now().AddDate(0, 0, -c.days) // the map's clock, not the board's

			cs := cases.Case{ID: id, Number: "N" + strconv.FormatInt(id, 10), Kind: data.KindEvent, Category: "0406", Source: cases.SourceHotline,
				Point: p, UnitGrid: testcity.GridA2, Community: testcity.CommunityA, Street: testcity.Street, Unit: c.unit,
				State: cases.StateDispatched, ReportedAt: at}
			b.Apply(&cs, &cases.Transition{CaseID: id, Action: "report", To: cases.StateDispatched, At: at})
		}
		w := boardGet(t, h, tile+query)
		if w.Code != 200 {
			return nil, w.Code
		}
		ls, err := mvt.UnmarshalGzipped(w.Body.Bytes())
		if err != nil {
			if ls, err = mvt.Unmarshal(w.Body.Bytes()); err != nil {
				t.Fatal(err)
			}
		}
		out := map[int64]map[string]any{}
		for _, l := range ls {
			for _, f := range l.Features {
				if l.Name == "cases" {
					out[int64(f.ID.(float64))] = f.Properties
				}
			}
		}
		return out, w.Code
	}
	anon, _ := features(data.Principal{}, "")
	if len(anon) != 1 || anon[200] == nil {
		t.Fatalf("anonymous: %v, want case 200 only (case 201 is 100 days old)", anon)
	}
	if _, ok := anon[200]["source"]; ok {
		t.Errorf("anonymous tile carries the source: %v", anon[200])
	}
	if _, ok := anon[200]["urgent"]; ok {
		t.Errorf("anonymous tile carries the urgency: %v", anon[200])
	}
	if _, code := features(data.Principal{}, "?source=hotline"); code != 400 {
		t.Errorf("anonymous source filter: %d", code)
	}
	viewer, _ := features(data.Principal{User: "v", Role: data.RoleViewer}, "")
	if len(viewer) != 2 || viewer[200]["source"] != "hotline" {
		t.Errorf("viewer: %v", viewer)
	}
	unit, _ := features(data.Principal{User: "l", Role: data.RoleUnit, Unit: "D-LIGHT"}, "?unit=D-WATER")
	if len(unit) != 1 || unit[201] == nil {
		t.Errorf("the light unit: %v, want its case 201 only", unit)
	}
}
