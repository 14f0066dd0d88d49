package replicas

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/paulmach/orb/maptile"

	"citygrid/data"
)

// tileTag fetches a tile from r with If-None-Match etag (when not empty)
// and returns the status and ETag.
func (r *replica) tileTag(tl maptile.Tile, etag string) (int, string) {
	r.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/tiles/city/%d/%d/%d.mvt", r.URL, tl.Z, tl.X, tl.Y), nil)
	req.Header.Set("Accept-Encoding", "gzip")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := client.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("ETag")
}

// TestRemoteEditInvalidatesOnlyTheTouchedTiles: on replica B, a component
// created through replica A changes the ETag of the z17 tile holding it
// (If-None-Match with the old ETag: 200 and a new ETag) within 1 s, while
// non-empty z17 tiles two and three tiles away keep theirs (304): the
// follower invalidates exactly the touched tiles, as a local edit does.
func TestRemoteEditInvalidatesOnlyTheTouchedTiles(t *testing.T) {
	tokens := city(t)
	a := startReplica(t, "A", t.TempDir())
	b := startReplica(t, "B", t.TempDir())
	const i = 650
	p := coverAt(i)
	tl := maptile.At(p, 17)
	_, before := b.tileTag(tl, "")
	neighbours := map[maptile.Tile]string{}
	for _, d := range [][2]int{{2, 0}, {-2, 0}, {0, 2}, {0, -2}, {3, 0}, {-3, 0}, {0, 3}, {0, -3}, {3, 3}, {-3, -3}} {
		n := maptile.New(uint32(int(tl.X)+d[0]), uint32(int(tl.Y)+d[1]), tl.Z)
		if st, tag := b.tileTag(n, ""); st == http.StatusOK && tag != "" {
			neighbours[n] = tag
		}
	}
	if len(neighbours) == 0 {
		t.Fatal("no non-empty z17 tile two or three tiles from the test point: the test city changed")
	}
	if st := a.create(tokens[data.RoleSurveyor], i); st != http.StatusCreated {
		t.Fatalf("create through A: %d", st)
	}
	start := time.Now()
	for {
		st, tag := b.tileTag(tl, before)
		if st == http.StatusOK && tag != before && b.tileHas(p, coverCode(i)) {
			break
		}
		if time.Since(start) > time.Second {
			t.Fatalf("B's z17 tile %v still %d %s (was %s) 1 s after the create through A", tl, st, tag, before)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for n, tag := range neighbours {
		if st, now := b.tileTag(n, tag); st != http.StatusNotModified {
			t.Errorf("B's untouched tile %v: %d (ETag %s → %s), want 304", n, st, tag, now)
		}
	}
	t.Logf("touched tile redrawn on B after %v; %d untouched neighbours kept their ETags", time.Since(start).Round(time.Millisecond), len(neighbours))
	a.Stop()
	b.Stop()
}
