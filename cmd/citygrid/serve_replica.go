package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"citygrid/api/city"
	"citygrid/data"
	"citygrid/tiles"
	"citygrid/tiles/mbtiles"
)

// replicaConfig makes the city a replica of a shared PostgreSQL store:
// cases and API tokens in the same database (opened by city.Open from
// CasesURL), and the store's change log followed from the Seq the loaded
// city reflects, woken by the store's notifications when it sends them.
func replicaConfig(ccfg *city.Config, st data.Store, ds *data.Dataset, cfg *serverConfig, log *slog.Logger) {
	ccfg.CasesURL = cfg.Store
	cl, ok := st.(data.ChangeLog)
	if !ok {
		log.Warn("replica: the store keeps no change log; edits made through other replicas are not followed until a restart")
		return
	}
	ccfg.ChangeLog = cl
	ccfg.ChangeSeq = ds.ChangeSeq
	ccfg.FollowEvery = time.Duration(cfg.FollowEvery)
	if l, ok := st.(interface {
		Listen(ctx context.Context, fn func(seq int64)) error
	}); ok {
		ccfg.ChangeNotify = l.Listen
	} else {
		log.Warn("replica: the store sends no change notifications; reading its change log every follow_every", "follow_every", cfg.FollowEvery.String())
	}
	log.Info("replica: following the store's change log", "from_seq", ds.ChangeSeq)
}

// redactURL hides a URL's password for logs and errors.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Sprintf("(unparsable store URL: %d bytes)", len(s))
	}
	return u.Redacted()
}

// maxRewind is the largest gap, in changes, a restarting replica replays
// to keep its baked tiles; beyond it the tiles are generated on the fly
// until the next bake (a rebake redraws the whole city in seconds, while
// replaying a long gap redraws its touched tiles one by one).
const maxRewind = 50_000

// rewindToBaked lets a restarting replica keep its baked tiles: when the
// baked file's data version is one the replica journal recorded at Seq S
// (the Seq of its last applied changes before it stopped or was killed)
// and S is behind the loaded city, ds is rewound to S by undoing the
// changes (S, ds.ChangeSeq] (their Before images), checked by recomputing
// the data version, and ds.ChangeSeq set to S: the follower then replays
// those changes through the live updater, which redraws only the tiles
// they touch and rewrites them in the baked file. Anything that does not
// fit (no journal entry, gap too big, log pruned, a layer it cannot undo,
// a version mismatch) leaves ds as loaded: correct, with tiles generated
// on the fly until the next bake.
func rewindToBaked(ctx context.Context, dir string, st data.Store, ds *data.Dataset, log *slog.Logger) {
	cl, ok := st.(data.ChangeLog)
	if !ok {
		return
	}
	path := filepath.Join(dir, city.MBTilesFile)
	if _, err := os.Stat(path); err != nil {
		return
	}
	r, err := mbtiles.Open(ctx, path)
	if err != nil {
		return
	}
	v := r.Metadata()["data_version"]
	r.Close()
	j := &city.ReplicaJournal{Path: filepath.Join(dir, city.ReplicaJournalFile)}
	seq, found := j.SeqOf(v)
	switch {
	case !found:
		log.Info("replica: the baked tiles' data version is not in the replica journal: serving the city as loaded", "baked_version", v)
		return
	case seq >= ds.ChangeSeq:
		return
	case ds.ChangeSeq-seq > maxRewind:
		log.Info("replica: the baked tiles are too far behind to catch up change by change; generating tiles on the fly until the next bake",
			"baked_seq", seq, "store_seq", ds.ChangeSeq)
		return
	}
	t := time.Now()
	var changes []data.Change
	for after := seq; after < ds.ChangeSeq; {
		batch, err := cl.ChangesSince(ctx, after, 5000)
		if err != nil || len(batch) == 0 {
			log.Info("replica: the change log cannot replay the gap to the baked tiles; serving the city as loaded", "baked_seq", seq, "err", err)
			return
		}
		for _, ch := range batch {
			if ch.Seq > ds.ChangeSeq {
				break
			}
			changes = append(changes, ch)
		}
		after = batch[len(batch)-1].Seq
	}
	back, err := rewind(ds, changes)
	if err != nil {
		log.Info("replica: cannot rewind to the baked tiles' Seq; serving the city as loaded", "baked_seq", seq, "err", err)
		return
	}
	if got := tiles.DataVersion(back); got != v {
		log.Warn("replica: the city rewound to the baked tiles' Seq is not their data version; serving the city as loaded",
			"baked_seq", seq, "baked_version", v, "rewound_version", got)
		return
	}
	back.ChangeSeq = seq
	*ds = *back
	log.Info("replica: catching up from the baked tiles' Seq: the follower replays the changes since",
		"baked_seq", seq, "changes", len(changes), "took", time.Since(t).Round(time.Millisecond))
}

// rewind returns a copy of ds as it was before changes (in commit order):
// components and unit grids are undone from the changes' Before images,
// other layers are shared with ds. ds itself is not modified.
func rewind(ds *data.Dataset, changes []data.Change) (*data.Dataset, error) {
	comps := make(map[string]*data.Component, len(ds.Components))
	corder := make([]string, 0, len(ds.Components))
	for i := range ds.Components {
		c := ds.Components[i]
		comps[c.Code] = &c
		corder = append(corder, c.Code)
	}
	grids := make(map[string]*data.UnitGrid, len(ds.UnitGrids))
	gorder := make([]string, 0, len(ds.UnitGrids))
	for i := range ds.UnitGrids {
		g := ds.UnitGrids[i]
		grids[g.Code] = &g
		gorder = append(gorder, g.Code)
	}
	for i := len(changes) - 1; i >= 0; i-- {
		ch := &changes[i]
		switch ch.Layer {
		case data.LayerComponents:
			if ch.Op == data.OpInsert {
				delete(comps, ch.Code)
				continue
			}
			if ch.BeforeComponent == nil {
				return nil, fmt.Errorf("change %d (%s %s) has no before image", ch.Seq, ch.Op, ch.Code)
			}
			if _, ok := comps[ch.Code]; !ok {
				corder = append(corder, ch.Code)
			}
			c := *ch.BeforeComponent
			comps[ch.Code] = &c
		case data.LayerUnitGrids:
			if ch.Op == data.OpInsert {
				delete(grids, ch.Code)
				continue
			}
			if ch.BeforeUnitGrid == nil {
				return nil, fmt.Errorf("change %d (%s %s) has no before image", ch.Seq, ch.Op, ch.Code)
			}
			if _, ok := grids[ch.Code]; !ok {
				gorder = append(gorder, ch.Code)
			}
			g := *ch.BeforeUnitGrid
			grids[ch.Code] = &g
		default:
			return nil, fmt.Errorf("change %d is of layer %q, which a replica cannot undo", ch.Seq, ch.Layer)
		}
	}
	out := *ds
	out.Components = make([]data.Component, 0, len(comps))
	for _, code := range corder {
		if c, ok := comps[code]; ok {
			out.Components = append(out.Components, *c)
			delete(comps, code) // a code listed twice is taken once
		}
	}
	out.UnitGrids = make([]data.UnitGrid, 0, len(grids))
	for _, code := range gorder {
		if g, ok := grids[code]; ok {
			out.UnitGrids = append(out.UnitGrids, *g)
			delete(grids, code)
		}
	}
	return &out, nil
}
