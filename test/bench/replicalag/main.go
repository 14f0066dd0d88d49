// Command replicalag measures how long a change committed to a shared
// PostgreSQL store takes to show in a replica's lookups: it moves point
// components one at a time through the store's editor (as an edit through
// another replica does) and polls the replica's /api/v1/nearest at the new
// place until it finds the component. test/bench/replicas runs it.
//
//	go run ./test/bench/replicalag -store postgres://... -b http://127.0.0.1:PORT [-n 20]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"time"

	"github.com/paulmach/orb"

	"citygrid/data"
	"citygrid/data/pgstore"
)

func main() {
	storeURL := flag.String("store", "", "postgres:// URL of the shared store (required)")
	schema := flag.String("schema", "citygrid_store", "schema of the store")
	base := flag.String("b", "", "base URL of the replica that must see the moves (required)")
	n := flag.Int("n", 20, "moves")
	flag.Parse()
	if *storeURL == "" || *base == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*storeURL, *schema, *base, *n); err != nil {
		fmt.Fprintln(os.Stderr, "replicalag:", err)
		os.Exit(1)
	}
}

func run(storeURL, schema, base string, n int) error {
	ctx := context.Background()
	st, err := pgstore.Open(ctx, storeURL, pgstore.Options{Schema: schema})
	if err != nil {
		return err
	}
	defer st.Close()
	var ed data.Editor = st
	ds, err := st.Load(ctx)
	if err != nil {
		return err
	}
	var lags []time.Duration
	for i := 0; i < len(ds.Components) && len(lags) < n; i += len(ds.Components)/n + 1 {
		c := ds.Components[i]
		p, ok := c.Geometry.(orb.Point)
		if !ok || c.UnitGrid == "" {
			continue
		}
		moved := orb.Point{p[0] + 2e-5, p[1] + 2e-5} // about 3 m
		nc := c
		nc.Geometry = moved
		if _, err := ed.UpdateComponent(ctx, nc, c.Version, data.EditMeta{User: "replicalag", Reason: "lag"}); err != nil {
			continue // e.g. a move the store refuses; try the next one
		}
		t0 := time.Now()
		for {
			found, err := near(base, moved, c.Code)
			if err != nil {
				return err
			}
			if found {
				lags = append(lags, time.Since(t0))
				break
			}
			if time.Since(t0) > 10*time.Second {
				return fmt.Errorf("%s moved in the store: not in the replica's nearest after 10 s", c.Code)
			}
			time.Sleep(time.Millisecond)
		}
	}
	if len(lags) == 0 {
		return fmt.Errorf("no component could be moved")
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	fmt.Printf("%d moves: median %s, p90 %s, max %s\n", len(lags), lags[len(lags)/2].Round(100*time.Microsecond),
		lags[len(lags)*9/10].Round(100*time.Microsecond), lags[len(lags)-1].Round(100*time.Microsecond))
	return nil
}

// near reports whether the replica's nearest within 1 m of p finds code.
func near(base string, p orb.Point, code string) (bool, error) {
	resp, err := http.Get(fmt.Sprintf("%s/api/v1/nearest?lon=%.9f&lat=%.9f&k=5&radius=1", base, p[0], p[1]))
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	var ans struct {
		Components []struct{ Code string } `json:"components"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		return false, err
	}
	for _, c := range ans.Components {
		if c.Code == code {
			return true, nil
		}
	}
	return false, nil
}
