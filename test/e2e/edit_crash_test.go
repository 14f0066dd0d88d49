package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"citygrid/data"
	"citygrid/test/harness"
)

// TestSIGKILLDuringAChangesetApplyLosesNothingHalfway: a large survey batch
// (every component modified, four new components beside each point one)
// is uploaded, then applied while the server is killed with SIGKILL part
// way through. After a restart the batch is wholly applied or wholly
// absent (components, history rows and the changeset's status agree),
// PRAGMA integrity_check is ok, and the rebuilt index and the tiles agree
// with the store: nearest finds sampled stored components at their places,
// locate names their stored unit grids, the z17 tile at each draws it, and
// absent batch features are nowhere (no nearest answer or drawn component
// is one the store does not hold). The city serves a baked z14–z17 file.
func TestSIGKILLDuringAChangesetApplyLosesNothingHalfway(t *testing.T) {
	s, dir, token := editCity(t)
	// Serve baked tiles, so the apply also sets the baked file's rewriting
	// going when it is killed.
	s.Stop()
	if out, err := harness.Combined(t, "bake", "--dir", dir, "--minzoom", "14", "--maxzoom", "17", "--quiet"); err != nil {
		t.Fatalf("bake: %v\n%s", err, out)
	}
	s = serve(t, dir, "--access-log=false")
	ds := loadCity(t, dir)
	const note = "crash-batch"
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	first := true
	sep := func() {
		if !first {
			b.WriteByte(',')
		}
		first = false
	}
	adds := 0
	for i, c := range ds.Components {
		sep()
		fmt.Fprintf(&b, `{"type":"Feature","geometry":null,"properties":{"_op":"modify","code":%q,"note":%q,"_base_version":%d}}`, c.Code, note, c.Version)
		p, ok := c.Geometry.(orb.Point)
		if !ok {
			continue
		}
		for k := 0; k < 4; k++ {
			sep()
			code := data.ComponentCode(c.Code[:6], c.Category, 900000+i*4+k)
			fmt.Fprintf(&b, `{"type":"Feature","geometry":{"type":"Point","coordinates":[%.9f,%.9f]},"properties":{"_op":"add","code":%q,"category":%q,"name":"普查新增","department":%q,"status":"intact","note":%q}}`,
				p[0], p[1], code, c.Category, c.Department, note)
			adds++
		}
	}
	b.WriteString(`]}`)
	total := len(ds.Components) + adds

	var ans struct {
		ID     string                `json:"id"`
		Status string                `json:"status"`
		Report *data.ChangesetReport `json:"report"`
	}
	t0 := time.Now()
	if st, _ := s.do("POST", "/api/v1/changesets", token, b.String(), &ans, "Content-Type", "application/geo+json"); st != 201 || !ans.Report.Applicable || ans.Report.Adds != adds {
		t.Fatalf("upload: %d %+v", st, ans.Report)
	}
	dry := time.Since(t0)

	// Apply, and SIGKILL the server part way through.
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", s.URL+"/api/v1/changesets/"+ans.ID+"/apply", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	time.Sleep(dry * 3 / 4)
	s.Kill()
	answered := <-done
	wal, _ := os.Stat(filepath.Join(dir, "citygrid.gpkg-wal"))
	walSize := int64(0)
	if wal != nil {
		walSize = wal.Size()
	}
	t.Logf("batch of %d features (%d adds); dry run %s; killed %s into the apply; the apply answered %d; WAL %d bytes",
		total, adds, dry, dry*3/4, answered, walSize)

	s = serve(t, dir, "--access-log=false")

	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "citygrid.gpkg")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var integrity string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity_check: %q %v", integrity, err)
	}
	var noted, history int
	var status string
	db.QueryRow(`SELECT count(*) FROM components WHERE note = ?`, note).Scan(&noted)
	db.QueryRow(`SELECT count(*) FROM citygrid_history WHERE changeset = ?`, ans.ID).Scan(&history)
	db.QueryRow(`SELECT status FROM citygrid_changesets WHERE id = ?`, ans.ID).Scan(&status)
	applied := noted == total
	switch {
	case noted == 0 && history == 0 && status == "pending":
		t.Logf("the batch is wholly absent")
	case applied && history == total && status == "applied":
		t.Logf("the batch is wholly applied")
	default:
		t.Fatalf("half a batch: %d of %d features carry the note, %d history rows, status %q", noted, total, history, status)
	}
	if answered == 200 && !applied {
		t.Fatal("the apply answered 200 but the batch is absent after the restart")
	}

	checkIndexAgrees(t, s, dir, note)
	if !applied {
		// The batch still applies whole after the crash.
		if st, _ := s.do("POST", "/api/v1/changesets/"+ans.ID+"/apply", token, "", &ans); st != 200 || ans.Status != "applied" {
			t.Fatalf("apply after the restart: %d", st)
		}
		db.QueryRow(`SELECT count(*) FROM components WHERE note = ?`, note).Scan(&noted)
		if noted != total {
			t.Fatalf("%d of %d after the second apply", noted, total)
		}
		checkIndexAgrees(t, s, dir, note)
	}
}

// checkIndexAgrees samples stored point components and checks that the
// running server's index finds each at its place and in its unit grid, and
// that sampled batch codes the store does not hold are not found.
func checkIndexAgrees(t *testing.T, s *server, dir, note string) {
	t.Helper()
	ds := loadCity(t, dir)
	stored := map[string]bool{}
	var points []data.Component
	for _, c := range ds.Components {
		stored[c.Code] = true
		if _, ok := c.Geometry.(orb.Point); ok {
			points = append(points, c)
		}
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 150; i++ {
		c := points[rng.Intn(len(points))]
		p := c.Geometry.(orb.Point)
		// Up to five components share the place (four batch copies).
		got := s.nearestCodes(p, 0.5)
		if !contains(got, c.Code) {
			t.Fatalf("nearest at stored component %s finds %v", c.Code, got)
		}
		for _, g := range got {
			if !stored[g] {
				t.Fatalf("nearest finds %s, which the store does not hold", g)
			}
		}
		var loc struct {
			UnitGrid struct {
				Code string `json:"code"`
			} `json:"unit_grid"`
		}
		if st := s.get(fmt.Sprintf("/api/v1/locate?lon=%.9f&lat=%.9f", p[0], p[1]), &loc); st != 200 || loc.UnitGrid.Code != c.UnitGrid {
			t.Fatalf("locate at %s: %d grid %s, stored %s", c.Code, st, loc.UnitGrid.Code, c.UnitGrid)
		}
		if i%3 != 0 {
			continue
		}
		tl := maptile.At(p, 17)
		a := fetchTile(t, s.URL, tl)
		if a.status != 200 || !hasComponent(a.body, c.Code) {
			t.Fatalf("tile %v (%s, %d) does not draw stored component %s", tl, a.source, a.status, c.Code)
		}
		for _, code := range drawnComponents(t, a.body) {
			if !stored[code] {
				t.Fatalf("tile %v (%s) draws %s, which the store does not hold", tl, a.source, code)
			}
		}
	}
	var f json.RawMessage
	if st, _ := s.do("GET", "/api/v1/components/"+points[0].Code, "", "", &f); st != 200 {
		t.Fatalf("get %s: %d", points[0].Code, st)
	}
}

// drawnComponents lists the codes of a gzipped tile's components layer.
func drawnComponents(t *testing.T, gz []byte) []string {
	t.Helper()
	ls, err := mvt.UnmarshalGzipped(gz)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range ls {
		if l.Name != "components" {
			continue
		}
		for _, f := range l.Features {
			if code, ok := f.Properties["code"].(string); ok {
				out = append(out, code)
			}
		}
	}
	return out
}
