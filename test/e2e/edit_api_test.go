package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"citygrid/data"
	"citygrid/test/harness"
)

// editCity copies the small demo city into a temporary directory, issues
// a surveyor token with the CLI and serves the city.
func editCity(t *testing.T) (s *server, dir, token string) {
	t.Helper()
	dir = city.Dir(t)
	token = harness.Token(t, dir, "surveyor-e2e", "surveyor")
	s = serve(t, dir, "--access-log=false")
	return s, dir, token
}

// do sends a request with the surveyor's token and decodes a JSON answer.
func (s *server) do(method, path, token, body string, v any, header ...string) (int, http.Header) {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, s.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if v != nil && len(b) > 0 {
		if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "json") {
			s.t.Fatalf("%s %s: Content-Type %q; body %.300s", method, path, ct, b)
		}
		if err := json.Unmarshal(b, v); err != nil {
			s.t.Fatalf("%s %s: %v; body %.300s", method, path, err, b)
		}
	}
	return resp.StatusCode, resp.Header
}

// nearestCodes answers the codes /api/v1/nearest finds at p.
func (s *server) nearestCodes(p orb.Point, radius float64) []string {
	s.t.Helper()
	var ans struct {
		Components []struct {
			Code string `json:"code"`
		} `json:"components"`
	}
	if st := s.get(fmt.Sprintf("/api/v1/nearest?lon=%.9f&lat=%.9f&k=20&radius=%g", p[0], p[1], radius), &ans); st != 200 {
		s.t.Fatalf("nearest: %d", st)
	}
	var out []string
	for _, c := range ans.Components {
		out = append(out, c.Code)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestSurveyorEditsOnTheRealBinary: a surveyor moves a component with
// If-Match (a stale tag gets 412, none 428), the tile and nearest show it at
// once, a changeset is dry-run then applied, and after a restart the store
// still holds every edit with its history.
func TestSurveyorEditsOnTheRealBinary(t *testing.T) {
	s, dir, token := editCity(t)
	ds := loadCity(t, dir)
	var c data.Component
	for _, cc := range ds.Components {
		if _, ok := cc.Geometry.(orb.Point); ok && cc.UnitGrid != "" {
			c = cc
			break
		}
	}
	path := "/api/v1/components/" + c.Code
	var f struct {
		Properties struct {
			Version  int64  `json:"version"`
			UnitGrid string `json:"unit_grid"`
		} `json:"properties"`
	}
	st, h := s.do("GET", path, "", "", &f)
	etag := h.Get("ETag")
	if st != 200 || etag != data.ETag(c.Code, c.Version) {
		t.Fatalf("get: %d %s", st, etag)
	}
	p := c.Geometry.(orb.Point)
	moved := orb.Point{p[0] + 3e-6, p[1] + 3e-6}
	body := fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[%.9f,%.9f]},"properties":{"status":"damaged"}}`, moved[0], moved[1])
	if st, _ := s.do("PATCH", path, "", body, nil, "If-Match", etag); st != 401 {
		t.Fatalf("anonymous patch: %d", st)
	}
	if st, _ := s.do("PATCH", path, token, body, nil); st != 428 {
		t.Fatalf("patch without If-Match: %d", st)
	}
	tl := maptile.At(moved, 17)
	before := fetchTile(t, s.URL, tl)
	// Lower zooms that draw the component must change too.
	lows := map[maptile.Zoom]tileAnswer{}
	for z := maptile.Zoom(14); z < 17; z++ {
		if a := fetchTile(t, s.URL, maptile.At(moved, z)); hasComponent(a.body, c.Code) {
			lows[z] = a
		}
	}
	// A non-empty z17 tile two tiles away, beyond any buffer of the edit.
	var nb maptile.Tile
	var nbTag string
	for _, d := range [][2]int{{3, 0}, {-3, 0}, {0, 3}, {0, -3}, {3, 3}, {-3, -3}} {
		cand := maptile.New(uint32(int(tl.X)+d[0]), uint32(int(tl.Y)+d[1]), tl.Z)
		if a := fetchTile(t, s.URL, cand); a.status == http.StatusOK {
			nb, nbTag = cand, a.etag
			break
		}
	}
	st, h = s.do("PATCH", path+"?reason=e2e", token, body, &f, "If-Match", etag)
	if st != 200 || h.Get("ETag") != data.ETag(c.Code, c.Version+1) {
		t.Fatalf("patch: %d %s", st, h.Get("ETag"))
	}
	var e struct {
		Details struct {
			CurrentVersion int64 `json:"current_version"`
		} `json:"details"`
	}
	if st, _ := s.do("PATCH", path, token, body, &e, "If-Match", etag); st != 412 || e.Details.CurrentVersion != c.Version+1 {
		t.Fatalf("stale patch: %d %+v", st, e)
	}
	// Read-your-writes: the next tile fetch and lookup show the move.
	after := fetchTile(t, s.URL, tl)
	if after.etag == before.etag || !hasComponent(after.body, c.Code) {
		t.Fatalf("tile %v after the edit: ETag %s (was %s), has it: %v", tl, after.etag, before.etag, hasComponent(after.body, c.Code))
	}
	if got := s.nearestCodes(moved, 1); !contains(got, c.Code) {
		t.Fatalf("nearest after the move: %v", got)
	}
	for z, b := range lows {
		if a := fetchTile(t, s.URL, maptile.At(moved, z), "If-None-Match", b.etag); a.status == http.StatusNotModified || a.etag == b.etag {
			t.Errorf("z%d tile drawing the component kept ETag %s after the edit", z, a.etag)
		}
	}
	t.Logf("lower zooms drawing the component: %d; untouched neighbour checked: %v", len(lows), nbTag != "")
	if nbTag != "" {
		if a := fetchTile(t, s.URL, nb, "If-None-Match", nbTag); a.status != http.StatusNotModified {
			t.Errorf("untouched tile %v: %d (ETag %s → %s), want 304", nb, a.status, nbTag, a.etag)
		}
	}

	// A changeset: one add (same place as c), one delete; dry run first.
	var d data.Component
	for _, cc := range ds.Components {
		if _, ok := cc.Geometry.(orb.Point); ok && cc.Code != c.Code {
			d = cc
			break
		}
	}
	newCode := data.ComponentCode(c.Code[:6], c.Category, 999990)
	cs := fmt.Sprintf(`{"type":"FeatureCollection","features":[
	 {"type":"Feature","geometry":{"type":"Point","coordinates":[%.9f,%.9f]},"properties":{"code":%q,"category":%q,"name":"新增","department":%q,"status":"intact"}},
	 {"type":"Feature","geometry":null,"properties":{"_op":"delete","code":%q}}]}`, p[0], p[1], newCode, c.Category, c.Department, d.Code)
	var ans struct {
		ID     string                `json:"id"`
		Status string                `json:"status"`
		Report *data.ChangesetReport `json:"report"`
	}
	if st, _ := s.do("POST", "/api/v1/changesets", token, cs, &ans, "Content-Type", "application/geo+json"); st != 201 || ans.Report.Adds != 1 || ans.Report.Deletes != 1 || !ans.Report.Applicable {
		t.Fatalf("dry run: %d %+v", st, ans.Report)
	}
	if got := s.nearestCodes(p, 1); contains(got, newCode) {
		t.Fatal("the dry run reached the index")
	}
	if st, _ := s.do("POST", "/api/v1/changesets/"+ans.ID+"/apply", token, "", &ans); st != 200 || ans.Status != "applied" {
		t.Fatalf("apply: %d %+v", st, ans)
	}
	if got := s.nearestCodes(p, 1); !contains(got, newCode) {
		t.Fatalf("nearest after the changeset: %v", got)
	}
	if got := s.nearestCodes(d.Geometry.(orb.Point), 1); contains(got, d.Code) {
		t.Fatalf("deleted component still found: %v", got)
	}

	// Restart: the store kept everything, with history.
	s.Stop()
	s = serve(t, dir, "--access-log=false")
	var hist struct {
		History []struct {
			Op     string `json:"op"`
			User   string `json:"user"`
			Reason string `json:"reason"`
		} `json:"history"`
	}
	if st, _ := s.do("GET", path+"/history", "", "", &hist); st != 200 || len(hist.History) != 1 || hist.History[0].User != "surveyor-e2e" || hist.History[0].Reason != "e2e" {
		t.Fatalf("history after restart: %d %+v", st, hist)
	}
	if got := s.nearestCodes(moved, 1); !contains(got, c.Code) {
		t.Fatalf("nearest after restart: %v", got)
	}
	if st, _ := s.do("GET", "/api/v1/components/"+d.Code, "", "", nil); st != 404 {
		t.Fatalf("deleted component after restart: %d", st)
	}
	var list struct {
		Features []json.RawMessage `json:"features"`
	}
	if st, _ := s.do("GET", "/api/v1/components?limit=5", "", "", &list); st != 200 || len(list.Features) != 5 {
		t.Fatalf("list: %d %d", st, len(list.Features))
	}

	// The CLI: a dry run while the server runs; apply only once it stopped.
	file := filepath.Join(t.TempDir(), "survey.geojson")
	doc := fmt.Sprintf(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{"code":%q,"status":"lost","version":%d}}]}`, c.Code, c.Version+1)
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := harness.Run(t, "changeset", "--dir", dir, file)
	var rep data.ChangesetReport
	if err != nil || json.Unmarshal([]byte(out), &rep) != nil || rep.Modifies != 1 || !rep.Applicable {
		t.Fatalf("changeset dry run: %v %s", err, out)
	}
	if _, err := harness.Run(t, "changeset", "--dir", dir, "--apply", file); err == nil || !strings.Contains(err.Error(), "serving") {
		t.Fatalf("apply under a running server: %v", err)
	}
	s.Stop()
	if out, err := harness.Run(t, "changeset", "--dir", dir, "--apply", "--user", "cli", file); err != nil || !strings.Contains(out, `"applied": true`) {
		t.Fatalf("changeset apply: %v %s", err, out)
	}
	if _, err := harness.Run(t, "changeset", "--dir", dir, "--apply", file); err == nil {
		t.Fatal("a stale changeset applied twice")
	}
}
