package replicas

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/test/harness"
	"citygrid/tiles"
	"citygrid/tiles/mbtiles"
)

// bakedVersion reads the data_version of dir's baked file.
func bakedVersion(t *testing.T, dir string) string {
	t.Helper()
	r, err := mbtiles.Open(context.Background(), filepath.Join(dir, "citygrid.mbtiles"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return r.Metadata()["data_version"]
}

// TestRestartedReplicaKeepsItsBakedTiles: replica B serves tiles baked
// from the shared store, follows one edit made through A, and is killed
// with SIGKILL; A makes 20 more edits; B restarted on the same directory
// rewinds the loaded city to the Seq its baked file reflects (found in its
// replica journal), serves that file again and replays the 20 changes
// through its follower: every edit is found by nearest and drawn in the
// tile holding it, and the baked file is rewritten to the current data.
func TestRestartedReplicaKeepsItsBakedTiles(t *testing.T) {
	tokens := city(t)
	tok := tokens[data.RoleSurveyor]
	bake := t.TempDir()
	for _, args := range [][]string{
		{"migrate-store", "--from", pgURL, "--to", bake},
		{"bake", "--dir", bake, "--minzoom", "14", "--maxzoom", "17", "--quiet"},
	} {
		if out, err := harness.Combined(t, args...); err != nil {
			t.Fatalf("citygrid %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	dirB := t.TempDir()
	b0, err := os.ReadFile(filepath.Join(bake, "citygrid.mbtiles"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirB, "citygrid.mbtiles"), b0, 0o644); err != nil {
		t.Fatal(err)
	}
	a := startReplica(t, "A", t.TempDir())
	b := startReplica(t, "B", dirB)
	// The log is flushed every 100 ms.
	waitUntil(t, "B serves the baked tiles", func() bool { return strings.Contains(b.Logs(), "serving baked tiles") })
	if st := a.create(tok, 0); st != 201 {
		t.Fatalf("create: %d", st)
	}
	waitUntil(t, "B follows the first edit", func() bool { return b.nearest(coverAt(0)) == coverCode(0) })
	waitUntil(t, "B's baked file is not mid-rewrite", func() bool { return bakedVersion(t, dirB) != tiles.RewritingVersion })
	b.Kill()
	for i := 1; i <= 20; i++ {
		if st := a.create(tok, i); st != 201 {
			t.Fatalf("create %d: %d", i, st)
		}
	}
	start := time.Now()
	b = b.restart()
	t.Logf("B restarted in %v", time.Since(start))
	waitUntil(t, "restarted B catches up from its baked tiles' Seq and serves them", func() bool {
		logs := b.Logs()
		return strings.Contains(logs, "catching up from the baked tiles' Seq") && strings.Contains(logs, "serving baked tiles")
	})
	last := storeSeq(t)
	waitUntil(t, "B reaches the store's last Seq", func() bool { return b.metric("citygrid_replica_seq") >= float64(last) })
	for i := 0; i <= 20; i++ {
		if got := b.nearest(coverAt(i)); got != coverCode(i) {
			t.Fatalf("restarted B: nearest at cover %d is %q", i, got)
		}
		if !b.tileHas(coverAt(i), coverCode(i)) {
			t.Fatalf("restarted B: the z17 tile at cover %d does not draw it", i)
		}
	}
	var tj struct {
		DataVersion string `json:"data_version"`
	}
	a.do("GET", "/tiles/city.json", "", "", &tj)
	waitUntil(t, "B's baked file is rewritten to the current data", func() bool { return bakedVersion(t, dirB) == tj.DataVersion })
	for _, s := range []string{a.Logs(), b.Logs()} {
		if strings.Contains(s, "drifted") || strings.Contains(s, "could not replay") {
			t.Errorf("a replica replayed a change that did not fit its index:\n%s", s)
		}
	}
	a.Stop()
	b.Stop()
}
