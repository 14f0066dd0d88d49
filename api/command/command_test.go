package command

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"citygrid/api/auth"
	"citygrid/api/city/caseboard"
	"citygrid/api/internal/testcity"
	"citygrid/api/maps"
	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/sqlitecases"
	"citygrid/data/cases/stats"
	"citygrid/data/gpkg"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/xuri/excelize/v2"
)

// sliceFeed is a case store stand-in.
type sliceFeed []cases.Case

func (f sliceFeed) All(_ context.Context, fn func(*cases.Case) bool) error {
	for i := range f {
		if !fn(&f[i]) {
			break
		}
	}
	return nil
}

var boardNow = time.Date(2026, 3, 20, 10, 0, 0, 0, commandZone)

func tp(t time.Time) *time.Time { return &t }

// boardCases: three March cases in the test city, worked out by hand.
func boardCases() []cases.Case {
	d := func(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, commandZone) }
	yes := true
	return []cases.Case{
		{ID: 1, Number: "N1", Kind: data.KindComponent, Category: testcity.Cover, Source: cases.SourceInspector, Point: orb.Point{118.705, 31.91},
			UnitGrid: testcity.GridA1, Community: testcity.CommunityA, Street: testcity.Street, Unit: "D-WATER", State: cases.StateClosed,
			ReportedAt: d(2, 9), RegisteredAt: tp(d(2, 10)), DispatchedAt: tp(d(2, 10)), DueAt: tp(d(2, 12)),
			HandledAt: tp(d(2, 11)), ClosedAt: tp(d(2, 13)), HandledOnTime: &yes},
		{ID: 2, Number: "N2", Kind: data.KindComponent, Category: testcity.Lamp, Source: cases.SourceHotline, Point: orb.Point{118.715, 31.915},
			UnitGrid: testcity.GridA2, Community: testcity.CommunityA, Street: testcity.Street, Unit: "D-LIGHT", State: cases.StateDispatched,
			ReportedAt: d(5, 9), RegisteredAt: tp(d(5, 10)), DispatchedAt: tp(d(5, 10)), DueAt: tp(d(6, 10))},
		{ID: 3, Number: "N3", Kind: data.KindComponent, Category: testcity.Lamp, Source: cases.SourceCitizen, Point: orb.Point{118.73, 31.91},
			UnitGrid: testcity.GridB1, Community: testcity.CommunityB, Street: testcity.Street, State: cases.StateReported, ReportedAt: d(20, 8)},
	}
}

// newBoardServer serves the board's routes with a fixed principal (role
// "" = anonymous).
func newBoardServer(t *testing.T, role data.Role) (*caseBoard, http.Handler) {
	t.Helper()
	return newBoardServerAs(t, data.Principal{User: "u", Role: role})
}

// newBoardServerAs serves the board's routes as p (the zero role:
// anonymous).
func newBoardServerAs(t *testing.T, p data.Principal) (*caseBoard, http.Handler) {
	t.Helper()
	ix, err := testcity.Index()
	if err != nil {
		t.Fatal(err)
	}
	b := &caseBoard{Board: caseboard.NewBoard(ix, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))}
	b.SetClock(func() time.Time { return boardNow })
	if err := b.Attach(context.Background(), sliceFeed(boardCases())); err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if p.Role != "" {
				req = req.WithContext(auth.WithPrincipal(req.Context(), p))
			}
			next.ServeHTTP(w, req)
		})
	})
	b.mount(r)
	maps.MountCaseTiles(r, b.Layer())
	return b, r
}

func boardGet(t *testing.T, h http.Handler, url string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", url, nil))
	return w
}

func TestStatsAPI(t *testing.T) {
	_, h := newBoardServer(t, data.RoleViewer)
	w := boardGet(t, h, "/api/v1/stats?group=unit&from=2026-03-01&to=2026-03-31")
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var ans struct {
		Rows []map[string]any `json:"rows"`
		From time.Time        `json:"from"`
		To   time.Time        `json:"to"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil {
		t.Fatal(err)
	}
	if !ans.To.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, commandZone)) {
		t.Errorf("to=2026-03-31 must include March 31: %v", ans.To)
	}
	rows := map[string]map[string]any{}
	for _, r := range ans.Rows {
		rows[r["key"].(string)] = r
	}
	// Evaluated as of 20 March: D-WATER closed 1 on time; D-LIGHT has 1
	// overdue (due 6 March); the unassigned case is only reported.
	water, light := rows["D-WATER"], rows["D-LIGHT"]
	for _, f := range []string{"reported", "registered", "dispatched", "due_for_closure", "closed", "closed_on_time",
		"reworked", "returned", "overdue", "closure_rate", "on_time_closure_rate", "rework_rate", "avg_handling_hours"} {
		if _, ok := water[f]; !ok {
			t.Errorf("row lacks %s", f)
		}
	}
	if water["name"] != "自来水公司" || water["closed"].(float64) != 1 || water["closure_rate"].(float64) != 1 || water["avg_handling_hours"].(float64) != 1 {
		t.Errorf("D-WATER row: %v", water)
	}
	if light["overdue"].(float64) != 1 || light["due_for_closure"].(float64) != 1 || light["closure_rate"].(float64) != 0 ||
		light["on_time_closure_rate"].(float64) != 0 || light["rework_rate"] != nil {
		t.Errorf("D-LIGHT row: %v", light)
	}
	if rows[""]["reported"].(float64) != 1 || rows[""]["closure_rate"] != nil {
		t.Errorf("unassigned row: %v", rows[""])
	}

	// Bad input is a 400 naming the field.
	for url, field := range map[string]string{
		"/api/v1/stats":                                          "group",
		"/api/v1/stats?group=planet":                             "group",
		"/api/v1/stats?group=unit&from=2026-03-01":               "to",
		"/api/v1/stats?group=unit&from=x&to=2026-03-02":          "from",
		"/api/v1/stats?group=unit&from=2026-03-05&to=2026-03-01": "to",
		"/api/v1/stats?group=unit&period=year":                   "period",
		"/api/v1/stats?group=unit&format=pdf":                    "format",
		"/api/v1/stats/top?group=grid&n=0":                       "n",
		"/tiles/cases/12/3411/1663.mvt?state=lost":               "state",
		"/tiles/cases/3/0/0.mvt":                                 "z",
		"/tiles/cases/12/99999/1663.mvt":                         "x",
	} {
		w := boardGet(t, h, url)
		if w.Code != 400 || !strings.Contains(w.Body.String(), `"`+field+`"`) {
			t.Errorf("%s: %d %s, want 400 naming %s", url, w.Code, w.Body, field)
		}
	}

	// CSV and XLSX carry the same rows.
	w = boardGet(t, h, "/api/v1/stats?group=community&period=month&date=2026-03-10&format=csv")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %v", w.Code, w.Header())
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.Body.String(), "\ufeff"))).ReadAll()
	if err != nil || len(recs) != 4 || recs[0][0] != "key" || recs[1][1] != "甲社区" || recs[3][0] != "total" {
		t.Errorf("csv: %v %q", err, recs)
	}
	w = boardGet(t, h, "/api/v1/stats?group=community&period=month&date=2026-03-10&format=xlsx")
	// The workbook has a title row, then the Chinese headings, then the
	// rows the CSV has.
	xf, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	xrows, err := xf.GetRows(xf.GetSheetList()[0])
	if err != nil || len(xrows) != len(recs)+1 || xrows[1][0] != stats.ColumnLabel("key") {
		t.Fatalf("xlsx rows %v %q", err, xrows)
	}
	for i, rec := range recs[1:] {
		if xrows[i+2][0] != rec[0] || xrows[i+2][1] != rec[1] {
			t.Errorf("xlsx row %d = %q, csv %q", i+2, xrows[i+2][:2], rec[:2])
		}
	}
	if cd := w.Header().Get("Content-Disposition"); !strings.Contains(cd, "20260301-20260331.xlsx") {
		t.Errorf("xlsx file name: %s", cd)
	}
}

func TestStatsAPIRoles(t *testing.T) {
	for role, want := range map[data.Role]int{"": 401, data.RoleCitizen: 403, data.RoleSurveyor: 403,
		data.RoleViewer: 200, data.RoleUnit: 200, data.RoleDispatcher: 200, data.RoleAdmin: 200} {
		_, h := newBoardServer(t, role)
		for _, url := range []string{"/api/v1/stats?group=grid", "/api/v1/stats/today", "/api/v1/stats/scoring"} {
			if w := boardGet(t, h, url); w.Code != want && !(want == 200 && w.Code == 204) {
				t.Errorf("role %q %s: %d, want %d", role, url, w.Code, want)
			}
		}
		for _, url := range []string{"/tiles/cases.json", "/tiles/cases/14/13651/6652.mvt"} {
			if w := boardGet(t, h, url); w.Code != 200 && w.Code != 204 {
				t.Errorf("role %q %s: %d, want it public", role, url, w.Code)
			}
		}
		// The pages hold no data; without credentials they send the
		// browser to sign in.
		for _, url := range []string{"/command", "/command/report"} {
			w := boardGet(t, h, url)
			if role == "" && (w.Code != 303 || !strings.HasPrefix(w.Header().Get("Location"), auth.SignInPath+"?next=")) {
				t.Errorf("anonymous %s: %d %q, want 303 to sign in", url, w.Code, w.Header().Get("Location"))
			} else if role != "" && w.Code != 200 {
				t.Errorf("role %q %s: %d", role, url, w.Code)
			}
		}
	}
	_, h := newBoardServer(t, data.RoleViewer)
	req := httptest.NewRequest("PUT", "/api/v1/stats/scoring", strings.NewReader("{}"))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 403 {
		t.Errorf("a viewer may not change the scoring: %d", w.Code)
	}
}

func TestScoringConfiguration(t *testing.T) {
	_, h := newBoardServer(t, data.RoleAdmin)
	put := func(body string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("PUT", "/api/v1/stats/scoring", strings.NewReader(body)))
		return w
	}
	w := boardGet(t, h, "/api/v1/stats/scoring")
	var sc map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &sc)
	if w.Code != 200 || sc["bands"] == nil {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if w := put(`{"region":{"terms":[{"indicator":"bogus","weight":1}]},"bands":[{"grade":"A","min":90}]}`); w.Code != 400 {
		t.Errorf("unknown indicator: %d", w.Code)
	}
	// Only the closure rate counts for departments: D-WATER scores 100.
	body := `{"region":{"terms":[{"indicator":"closure_rate","weight":1}]},"department":{"terms":[{"indicator":"closure_rate","weight":1}]},` +
		`"inspector":{"terms":[]},"bands":[{"grade":"好","min":80},{"grade":"差","min":0}],"min_sample":1}`
	if w := put(body); w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	w = boardGet(t, h, "/api/v1/stats?group=unit&period=month&date=2026-03-01")
	var ans struct{ Rows []map[string]any }
	_ = json.Unmarshal(w.Body.Bytes(), &ans)
	for _, r := range ans.Rows {
		switch r["key"] {
		case "D-WATER":
			if r["score"].(float64) != 100 || r["grade"] != "好" || r["rank"].(float64) != 1 {
				t.Errorf("D-WATER: %v", r)
			}
		case "D-LIGHT":
			if r["score"].(float64) != 0 || r["grade"] != "差" || r["rank"].(float64) != 2 {
				t.Errorf("D-LIGHT: %v", r)
			}
		}
	}
}

func TestTodayAndTopAPI(t *testing.T) {
	_, h := newBoardServer(t, data.RoleViewer)
	w := boardGet(t, h, "/api/v1/stats/today")
	var ans todayAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil {
		t.Fatal(err, w.Body)
	}
	// Today is 20 March: case 3 was reported; open are 2 and 3; 2 is overdue.
	if ans.Date != "2026-03-20" || ans.Today.Reported != 1 || ans.Open != 2 || ans.OverdueNow != 1 ||
		len(ans.OverdueList) != 1 || ans.OverdueList[0].ID != 2 || ans.OverdueList[0].UnitName != "路灯管理所" || ans.OverdueList[0].OverdueHours != 336 {
		t.Errorf("today: %+v", ans)
	}
	if len(ans.Daily) != 30 || ans.Daily[29].Date != "2026-03-20" || ans.Daily[29].Reported != 1 || ans.Daily[25].Reported != 0 {
		t.Errorf("daily: %+v", ans.Daily)
	}
	if len(ans.TopCategories) != 2 || ans.TopCategories[0].Key != "component/0101" && ans.TopCategories[0].Key != "component/0201" {
		t.Errorf("top categories: %+v", ans.TopCategories)
	}
	w = boardGet(t, h, "/api/v1/stats/top?group=grid&period=month&date=2026-03-01&n=1")
	var top statsAnswer
	_ = json.Unmarshal(w.Body.Bytes(), &top)
	if len(top.Rows) != 1 || top.Rows[0].Rank != 1 || top.Rows[0].Registered != 1 || !strings.HasSuffix(top.Rows[0].Name, "号网格") {
		t.Errorf("top grid: %+v", top.Rows)
	}
}

// TestLiveCaseReachesTilesAndEvents applies a change as the store's
// listener would and checks the event stream and the next tile.
func TestLiveCaseReachesTilesAndEvents(t *testing.T) {
	b, h := newBoardServer(t, data.RoleViewer)
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/case-events", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %s", ct)
	}
	rd := bufio.NewReader(res.Body)
	readEvent := func() (string, string) {
		var ev, dt string
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			line = strings.TrimRight(line, "\n")
			if line == "" && dt != "" {
				return ev, dt
			}
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				ev = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				dt = v
			}
		}
	}
	if ev, _ := readEvent(); ev != "hello" {
		t.Fatalf("first event %q", ev)
	}
	p := orb.Point{118.7125, 31.9175}
	c := cases.Case{ID: 99, Number: "N99", Kind: data.KindEvent, Category: "0406", Source: cases.SourceCitizen, Point: p,
		UnitGrid: testcity.GridA2, Community: testcity.CommunityA, Street: testcity.Street, State: cases.StateReported, ReportedAt: boardNow}
	b.Apply(&c, &cases.Transition{CaseID: 99, Action: "report", To: cases.StateReported, At: boardNow})
	ev, dt := readEvent()
	var msg caseboard.Event
	if err := json.Unmarshal([]byte(dt), &msg); ev != "case" || err != nil || msg.ID != 99 || msg.Action != "report" {
		t.Fatalf("event %q %s", ev, dt)
	}
	tc := maptile.At(p, 16)
	w := boardGet(t, h, "/tiles/cases/16/"+strconv.Itoa(int(tc.X))+"/"+strconv.Itoa(int(tc.Y))+".mvt?state=open&g="+strconv.Itoa(int(msg.Generation)))
	if w.Code != 200 {
		t.Fatalf("tile: %d", w.Code)
	}
	ls, err := mvt.Unmarshal(w.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range ls {
		for _, f := range l.Features {
			if l.Name == "cases" && f.ID.(float64) == 99 {
				found = true
			}
		}
	}
	if !found {
		t.Error("the new case is not in the next tile")
	}
	w = boardGet(t, h, "/api/v1/stats/today")
	var today todayAnswer
	_ = json.Unmarshal(w.Body.Bytes(), &today)
	if today.Today.Reported != 2 || today.Open != 3 {
		t.Errorf("counts after the new case: %+v", today.Today.Counts)
	}
	hw := httptest.NewRecorder()
	h.ServeHTTP(hw, httptest.NewRequest("HEAD", "/tiles/cases/16/"+strconv.Itoa(int(tc.X))+"/"+strconv.Itoa(int(tc.Y))+".mvt?state=open", nil))
	if hw.Code != 200 || hw.Header().Get("ETag") == "" {
		t.Errorf("HEAD of the tile: %d %v", hw.Code, hw.Header())
	}
	// TileJSON carries the filter and the generation into the tile URL.
	w = boardGet(t, h, "/tiles/cases.json?state=open&unit=D-LIGHT")
	var tj struct{ Tiles []string }
	_ = json.Unmarshal(w.Body.Bytes(), &tj)
	if len(tj.Tiles) != 1 || !strings.Contains(tj.Tiles[0], "state=open") || !strings.Contains(tj.Tiles[0], "unit=D-LIGHT") || !strings.Contains(tj.Tiles[0], "g=") {
		t.Errorf("tilejson tiles %v", tj.Tiles)
	}
}

// TestBoardFollowsTheCaseStore wires the board to the workflow's SQL store
// as the server does and checks that a created and then updated case is
// in the statistics, the open list and the next tile at once.
func TestBoardFollowsTheCaseStore(t *testing.T) {
	ctx := context.Background()
	st, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), "city.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	store, err := sqlitecases.New(ctx, st.DB())
	if err != nil {
		t.Fatal(err)
	}
	b, h := newBoardServer(t, data.RoleViewer)
	if err := b.Attach(ctx, store); err != nil {
		t.Fatal(err)
	}
	store.OnChange(b.Apply)
	if b.Stats().Len() != 0 {
		t.Fatalf("an empty store must empty the board: %d", b.Stats().Len())
	}
	c := boardCases()[1] // dispatched, overdue since 6 March
	c.ID = 0
	c.Number = ""
	if err := store.Create(ctx, &c, &cases.Transition{Action: "report", To: c.State, User: "u", Role: data.RoleOperator}); err != nil {
		t.Fatal(err)
	}
	var today todayAnswer
	_ = json.Unmarshal(boardGet(t, h, "/api/v1/stats/today").Body.Bytes(), &today)
	if today.Open != 1 || today.OverdueNow != 1 || len(today.OverdueList) != 1 || today.OverdueList[0].ID != c.ID {
		t.Errorf("after create: %+v", today)
	}
	c.State = cases.StateClosed
	c.HandledAt, c.ClosedAt = tp(boardNow.Add(-time.Hour)), tp(boardNow.Add(-time.Minute))
	if err := store.Update(ctx, &c, &cases.Transition{Action: "close", From: cases.StateChecked, To: cases.StateClosed, User: "u", Role: data.RoleSupervisor}); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(boardGet(t, h, "/api/v1/stats/today").Body.Bytes(), &today)
	if today.Open != 0 || today.OverdueNow != 0 || today.Today.Closed != 1 {
		t.Errorf("after close: open %d overdue %d closed today %d", today.Open, today.OverdueNow, today.Today.Closed)
	}
}

// TestPostScoresFromTheCaseStore: the board loads the stored transitions
// (paged, with several at one instant across a page boundary), then
// follows new ones through the store's listener; GET /api/v1/stats
// ?group=post answers the hand-counted post rows, as JSON and CSV, and
// names the field of a bad request.
func TestPostScoresFromTheCaseStore(t *testing.T) {
	ctx := context.Background()
	st, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), "city.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	store, err := sqlitecases.New(ctx, st.DB())
	if err != nil {
		t.Fatal(err)
	}
	h0 := time.Date(2026, 3, 2, 9, 0, 0, 0, commandZone)
	at := func(m int) time.Time { return h0.Add(time.Duration(m) * time.Minute) }
	due := func(m int) *time.Time { v := at(m); return &v }
	act := func(c *cases.Case, tr cases.Transition) {
		t.Helper()
		tr.From, c.State = c.State, tr.To
		if err := store.Update(ctx, c, &tr); err != nil {
			t.Fatal(err)
		}
	}
	// Three hotline cases op1 took in at the same instant, each verified
	// by ins1 (two on time, one late) and registered by sup1 on time.
	var cs []*cases.Case
	for i := range 3 {
		c := &cases.Case{Source: cases.SourceHotline, Kind: data.KindEvent, Category: "0406", State: cases.StateReported,
			ReportedAt: at(0), Point: orb.Point{118.73, 31.91}}
		if err := store.Create(ctx, c, &cases.Transition{At: at(0), Action: cases.ActReport, To: c.State, User: "op1", Role: data.RoleOperator}); err != nil {
			t.Fatal(err)
		}
		late := 60
		if i == 2 {
			late = 10
		}
		act(c, cases.Transition{At: at(30), Action: cases.ActVerify, To: cases.StateVerified, User: "ins1", Role: data.RoleInspector, StepDueAt: due(late)})
		act(c, cases.Transition{At: at(40), Action: cases.ActRegister, To: cases.StateRegistered, User: "sup1", Role: data.RoleSupervisor, StepDueAt: due(90)})
		cs = append(cs, c)
	}
	b, h := newBoardServer(t, data.RoleViewer)
	b.SetTransitionPage(2)
	if err := b.Attach(ctx, store); err != nil {
		t.Fatal(err)
	}
	store.OnChange(b.Apply)
	// After the load: dis1 dispatches two cases, one late; the unit
	// returns one (错派); an admin dispatches the third (no post event).
	act(cs[0], cases.Transition{At: at(50), Action: cases.ActDispatch, To: cases.StateDispatched, User: "dis1", Role: data.RoleDispatcher, StepDueAt: due(100), Unit: "D-WATER"})
	act(cs[1], cases.Transition{At: at(120), Action: cases.ActDispatch, To: cases.StateDispatched, User: "dis1", Role: data.RoleDispatcher, StepDueAt: due(100), Unit: "D-WATER"})
	act(cs[2], cases.Transition{At: at(50), Action: cases.ActDispatch, To: cases.StateDispatched, User: "root", Role: data.RoleAdmin, StepDueAt: due(100), Unit: "D-WATER"})
	act(cs[1], cases.Transition{At: at(130), Action: cases.ActReturn, To: cases.StateReturned, User: "water", Role: data.RoleUnit})
	w := boardGet(t, h, "/api/v1/stats?group=post&from=2026-03-01&to=2026-03-31")
	var ans postsAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &ans); w.Code != 200 || err != nil {
		t.Fatalf("%d %v %s", w.Code, err, w.Body)
	}
	got := map[string]stats.PostCounts{}
	for _, r := range ans.Rows {
		got[string(r.Post)+"/"+r.User] = r.PostCounts
		if r.Score == nil || r.Grade == "" {
			t.Errorf("%s/%s unscored", r.Post, r.User)
		}
	}
	want := map[string]stats.PostCounts{
		"inspector/ins1":  {Verified: 3, VerifiedOnTime: 2, Missed: 3},
		"operator/op1":    {Accepted: 3, VerifySent: 3, VerifySentOnTime: 2},
		"supervisor/sup1": {Registered: 3, RegisteredOnTime: 3},
		"dispatcher/dis1": {Dispatched: 2, DispatchedOnTime: 1, DispatchedReturned: 1},
	}
	if len(got) != len(want) {
		t.Errorf("rows %v", got)
	}
	for k, wc := range want {
		if got[k] != wc {
			t.Errorf("%s: %+v, want %+v", k, got[k], wc)
		}
	}
	if len(ans.Totals) != 4 || ans.Group != "post" {
		t.Errorf("totals %+v", ans.Totals)
	}
	w = boardGet(t, h, "/api/v1/stats?group=post&post=dispatcher&from=2026-03-01&to=2026-03-31&format=csv")
	if w.Code != 200 || !strings.Contains(w.Body.String(), "\ndispatcher,dis1,") || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") ||
		strings.Contains(w.Body.String(), "ins1") {
		t.Errorf("csv: %d %q", w.Code, w.Body)
	}
	w = boardGet(t, h, "/api/v1/stats?group=post&post=dispatcher&period=month&date=2026-03-05&format=xlsx")
	if w.Code != 200 || !bytes.HasPrefix(w.Body.Bytes(), []byte("PK")) {
		t.Errorf("xlsx: %d", w.Code)
	}
	for url, field := range map[string]string{
		"/api/v1/stats?group=post&post=boss":                     "post",
		"/api/v1/stats?group=post&format=pdf":                    "format",
		"/api/v1/stats?group=post&from=2026-03-05&to=2026-03-01": "to",
		"/api/v1/stats?group=posts":                              "group",
	} {
		w := boardGet(t, h, url)
		if w.Code != 400 || !strings.Contains(w.Body.String(), `"`+field+`"`) {
			t.Errorf("%s: %d %s", url, w.Code, w.Body)
		}
	}
}
