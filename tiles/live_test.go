package tiles_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/demo"
	"citygrid/spatial"
	"citygrid/tiles"
	"citygrid/tiles/mbtiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

type liveCity struct {
	ds *data.Dataset
	ix *spatial.Index
	ts *tiles.Tileset
}

func newLiveCity(t *testing.T) liveCity {
	t.Helper()
	return liveCityOf(t, liveDemo(t))
}

// liveDemo is the small demo city the live tests edit.
func liveDemo(t *testing.T) *data.Dataset {
	t.Helper()
	ds, err := demo.Generate(context.Background(), demo.Options{Seed: 3, Scale: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// liveCityOf indexes ds and builds its tileset.
func liveCityOf(t *testing.T, ds *data.Dataset) liveCity {
	t.Helper()
	ix, err := spatial.Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := tiles.New(ix, tiles.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return liveCity{ds, ix, ts}
}

// pointCategory is a component category drawn as points from a zoom
// inside the tileset's range, so below it the category is clustered.
func (c liveCity) pointCategory(t *testing.T) data.Category {
	for _, cat := range c.ds.Categories {
		if cat.Kind == data.KindComponent && cat.Geometry == data.GeomPoint && c.ts.CategoryMinZoom(cat.Code) > 12 {
			return cat
		}
	}
	t.Fatal("no point category")
	return data.Category{}
}

// inside is a point inside the city: the middle of a unit grid's bound
// that the grid covers.
func (c liveCity) inside(t *testing.T, k int) orb.Point {
	for _, g := range c.ds.UnitGrids[k:] {
		p := g.Geometry.Bound().Center()
		if loc, err := c.ix.Locate(p); err == nil && loc.UnitGrid.Code == g.Code {
			return p
		}
	}
	t.Fatal("no grid centre inside its grid")
	return orb.Point{}
}

type tileSummary struct {
	hash       string
	codes      map[string]bool
	clusterSum map[string]uint64 // big class → count
}

func summarise(t *testing.T, b []byte) tileSummary {
	t.Helper()
	s := tileSummary{codes: map[string]bool{}, clusterSum: map[string]uint64{}}
	if b == nil {
		return s
	}
	s.hash = fmt.Sprintf("%x", b)
	ls, err := mvt.UnmarshalGzipped(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		for _, f := range l.Features {
			switch l.Name {
			case data.LayerComponents:
				s.codes[f.Properties["code"].(string)] = true
			case tiles.LayerComponentClusters:
				s.clusterSum[f.Properties["big"].(string)] += uint64(f.Properties["count"].(float64))
			}
		}
	}
	return s
}

func fetch(t *testing.T, p *tiles.Provider, a maptile.Tile) (tiles.Tile, tileSummary) {
	t.Helper()
	tl, err := p.Tile(context.Background(), int(a.Z), int(a.X), int(a.Y))
	if err != nil {
		t.Fatal(err)
	}
	return tl, summarise(t, tl.Data)
}

// TestAnEditShowsAtEveryZoomAndSparesItsNeighbours inserts a component and
// checks, at every zoom, that the tile holding it changes on the very next
// request — the component drawn, or counted once more in its big class
// below its category's minimum zoom — while a tile two columns away keeps
// its cached bytes; the data version moves to what a fresh tileset over the
// edited city names; deleting the component again restores every tile's
// bytes and the version.
func TestAnEditShowsAtEveryZoomAndSparesItsNeighbours(t *testing.T) {
	c := newLiveCity(t)
	p, _ := tiles.NewProvider(c.ts, nil, 0)
	cat := c.pointCategory(t)
	pt := c.inside(t, len(c.ds.UnitGrids)/2)
	v0 := c.ts.Version()
	type probe struct {
		at, nb  maptile.Tile
		before  tileSummary
		nbHash  string
		minZoom int
	}
	var probes []probe
	for z := c.ts.MinZoom(); z <= c.ts.MaxZoom(); z++ {
		at := maptile.At(pt, maptile.Zoom(z))
		_, s := fetch(t, p, at)
		pr := probe{at: at, before: s}
		// A non-empty neighbour whose buffered extent does not reach the
		// point: nothing of the edit can be drawn in it.
		n := 1 << z
		for _, d := range [][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {2, 0}, {-2, 0}} {
			x, y := int(at.X)+d[0], int(at.Y)+d[1]
			if x < 0 || y < 0 || x >= n || y >= n {
				continue
			}
			nb := maptile.New(uint32(x), uint32(y), at.Z)
			if nb.Bound(float64(tiles.Buffer) / tiles.Extent).Contains(pt) {
				continue
			}
			if nt, _ := fetch(t, p, nb); nt.Hash != "" {
				pr.nb, pr.nbHash = nb, nt.Hash
				break
			}
		}
		probes = append(probes, pr)
	}
	comp := data.Component{Code: "320114LIVE000001", Category: cat.Code, Name: "新增" + cat.Name, Geometry: pt,
		Status: data.StatusIntact, Department: cat.Department, Version: 1}
	ins := []data.Change{{Layer: "components", Op: data.OpInsert, Code: comp.Code, Version: 1, AfterComponent: &comp}}
	touched, err := p.Apply(ins, c.ix.Apply)
	if err != nil {
		t.Fatal(err)
	}
	if len(touched) == 0 {
		t.Fatal("no tile touched")
	}
	neighbours := 0
	for _, pr := range probes {
		z := int(pr.at.Z)
		tl, s := fetch(t, p, pr.at)
		if tl.From == "cache" || s.hash == pr.before.hash {
			t.Errorf("z%d: tile %v unchanged after the insert (from %s)", z, pr.at, tl.From)
		}
		if z >= c.ts.CategoryMinZoom(cat.Code) {
			if !s.codes[comp.Code] {
				t.Errorf("z%d: the new component is not in tile %v", z, pr.at)
			}
		} else if z < c.ts.MaxZoom() {
			if got, want := s.clusterSum[cat.Big], pr.before.clusterSum[cat.Big]+1; got != want {
				t.Errorf("z%d: cluster count of big class %s = %d, want %d", z, cat.Big, got, want)
			}
		}
		if pr.nbHash != "" {
			neighbours++
			nt, _ := fetch(t, p, pr.nb)
			if nt.From != "cache" || nt.Hash != pr.nbHash {
				t.Errorf("z%d: neighbour %v changed (from %s, hash %s → %s)", z, pr.nb, nt.From, pr.nbHash, nt.Hash)
			}
		}
	}
	if neighbours < 4 {
		t.Errorf("only %d non-empty neighbour tiles checked", neighbours)
	}
	res, err := c.ix.Nearest(pt, 1, 1, []string{cat.Code})
	if err != nil || res.Count != 1 || res.Components[0].Code != comp.Code {
		t.Errorf("nearest after the insert: %+v %v", res, err)
	}
	// The version moved, to exactly what the edited city hashes to.
	var fresh string
	c.ix.View(func() { fresh = tiles.DataVersion(c.ix.Dataset()) })
	if v := c.ts.Version(); v == v0 || v != fresh {
		t.Errorf("version %s → %s, fresh hash of the edited city %s", v0, v, fresh)
	}

	del := []data.Change{{Layer: "components", Op: data.OpDelete, Code: comp.Code, Version: 1, BeforeComponent: &comp}}
	if _, err := p.Apply(del, c.ix.Apply); err != nil {
		t.Fatal(err)
	}
	for _, pr := range probes {
		if _, s := fetch(t, p, pr.at); s.hash != pr.before.hash {
			t.Errorf("z%d: tile %v differs from before the insert after the delete", pr.at.Z, pr.at)
		}
	}
	if v := c.ts.Version(); v != v0 {
		t.Errorf("version after insert+delete %s, want %s", v, v0)
	}
}

// TestAGridSplitRedrawsItsTiles splits a unit grid in two: the tile at its
// centre now has both halves' codes and not the old one's.
func TestAGridSplitRedrawsItsTiles(t *testing.T) {
	c := newLiveCity(t)
	p, _ := tiles.NewProvider(c.ts, nil, 0)
	var g data.UnitGrid
	for _, cand := range c.ds.UnitGrids {
		if len(cand.Geometry) == 1 && len(cand.Geometry[0]) == 1 && len(cand.Geometry[0][0]) >= 5 {
			g = cand
			break
		}
	}
	if g.Code == "" {
		t.Skip("no simple grid")
	}
	ring := g.Geometry[0][0]
	a := data.UnitGrid{Code: g.Code + "A", Community: g.Community, Geometry: orb.MultiPolygon{{{ring[0], ring[1], ring[2], ring[0]}}}}
	b := data.UnitGrid{Code: g.Code + "B", Community: g.Community, Geometry: orb.MultiPolygon{{append(orb.Ring{ring[0]}, ring[2:]...)}}}
	at := maptile.At(g.Geometry.Bound().Center(), 17)
	gridCodes := func() map[string]bool {
		tl, err := p.Tile(context.Background(), 17, int(at.X), int(at.Y))
		if err != nil {
			t.Fatal(err)
		}
		ls, _ := mvt.UnmarshalGzipped(tl.Data)
		out := map[string]bool{}
		for _, l := range ls {
			if l.Name == data.LayerUnitGrids {
				for _, f := range l.Features {
					out[f.Properties["code"].(string)] = true
				}
			}
		}
		return out
	}
	if !gridCodes()[g.Code] {
		t.Fatalf("grid %s not in its centre tile", g.Code)
	}
	chs := []data.Change{
		{Layer: "unit_grids", Op: data.OpDelete, Code: g.Code, BeforeUnitGrid: &g},
		{Layer: "unit_grids", Op: data.OpInsert, Code: a.Code, AfterUnitGrid: &a},
		{Layer: "unit_grids", Op: data.OpInsert, Code: b.Code, AfterUnitGrid: &b},
	}
	if _, err := p.Apply(chs, c.ix.Apply); err != nil {
		t.Fatal(err)
	}
	got := gridCodes()
	if got[g.Code] || !got[a.Code] || !got[b.Code] {
		t.Errorf("after the split the centre tile has grids %v", got)
	}
	loc, err := c.ix.Locate(centroidOf(a.Geometry[0][0]))
	if err != nil || loc.UnitGrid.Code != a.Code {
		t.Errorf("locate in the first half: %+v %v", loc.UnitGrid, err)
	}
	// Each half is labelled at its own label point (the old grid's cached
	// label point is not reused).
	for _, half := range []data.UnitGrid{a, b} {
		lp, ok := tiles.LabelPoint(half.Geometry)
		if !ok {
			continue
		}
		lt := maptile.At(lp, 17)
		tl, err := p.Tile(context.Background(), 17, int(lt.X), int(lt.Y))
		if err != nil {
			t.Fatal(err)
		}
		ls, _ := mvt.UnmarshalGzipped(tl.Data)
		found := false
		for _, l := range ls {
			if l.Name != tiles.LayerLabels {
				continue
			}
			for _, f := range l.Features {
				if f.Properties["layer"] == data.LayerUnitGrids && f.Properties["code"] == half.Code {
					found = true
				}
				if f.Properties["layer"] == data.LayerUnitGrids && f.Properties["code"] == g.Code {
					t.Errorf("the split grid %s is still labelled", g.Code)
				}
			}
		}
		if !found {
			t.Errorf("grid %s is not labelled in tile %v", half.Code, lt)
		}
	}
}

func centroidOf(r orb.Ring) orb.Point {
	var c orb.Point
	n := float64(len(r) - 1)
	for _, p := range r[:len(r)-1] {
		c[0] += p[0] / n
		c[1] += p[1] / n
	}
	return c
}

// TestBakedTilesAreRewrittenIncrementally bakes a zoom range, moves a
// component, and checks that the server never answers a touched tile's
// old baked bytes, that the rewriter stores exactly the touched tiles (not
// a re-bake), and that afterwards every tile of the file is what the
// edited data draws and the file names the new data version, so a
// restarted server trusts it.
func TestBakedTilesAreRewrittenIncrementally(t *testing.T) {
	c := newLiveCity(t)
	const zmin, zmax = 12, 16
	path := filepath.Join(t.TempDir(), "city.mbtiles")
	w, err := mbtiles.Create(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ts.Bake(context.Background(), w, tiles.BakeOptions{MinZoom: zmin, MaxZoom: zmax}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	r, err := mbtiles.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, note := tiles.NewProvider(c.ts, r, -1)
	defer p.Close()
	var covering []tiles.TileAddress
	for z := zmin; z <= zmax; z++ {
		covering = append(covering, c.ts.CoveringTiles(z)...)
	}
	fileTiles := func() map[tiles.TileAddress][]byte {
		rr, err := mbtiles.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer rr.Close()
		out := map[tiles.TileAddress][]byte{}
		for _, a := range covering {
			b, ok, err := rr.Tile(context.Background(), a.Z, a.X, a.Y)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				out[a] = b
			}
		}
		return out
	}
	before := fileTiles()
	if tl, err := p.Tile(context.Background(), covering[0].Z, covering[0].X, covering[0].Y); err != nil || tl.From != "baked" {
		t.Fatalf("baked tiles not served (%s): %+v %v", note, tl.From, err)
	}

	// Move a component of a clustered point category across the city.
	cat := c.pointCategory(t)
	var comp data.Component
	for _, cc := range c.ds.Components {
		if cc.Category == cat.Code {
			comp = cc
			break
		}
	}
	if comp.Code == "" {
		t.Skip("no component of the category")
	}
	moved := comp
	moved.Geometry = c.inside(t, len(c.ds.UnitGrids)/3)
	moved.Version++
	chs := []data.Change{{Layer: "components", Op: data.OpUpdate, Code: comp.Code, BeforeComponent: &comp, AfterComponent: &moved}}
	touched, err := p.Apply(chs, c.ix.Apply)
	if err != nil {
		t.Fatal(err)
	}
	inRange := map[tiles.TileAddress]bool{}
	for _, a := range touched {
		if a.Z >= zmin && a.Z <= zmax {
			inRange[a] = true
		}
	}
	// At once, before the rewriter can have caught up: every touched tile
	// answers the new content.
	for a := range inRange {
		tl, err := p.Tile(context.Background(), a.Z, a.X, a.Y)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := c.ts.Tile(context.Background(), a.Z, a.X, a.Y)
		if !bytes.Equal(tl.Data, want) {
			t.Fatalf("tile %v answered from %s is not the edited content", a, tl.From)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.WaitRewritten(ctx); err != nil {
		t.Fatal(err)
	}
	// The final data_version row follows the last batch.
	deadline := time.Now().Add(10 * time.Second)
	for {
		rr, err := mbtiles.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		v := rr.Metadata()["data_version"]
		rr.Close()
		if v == c.ts.Version() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("file data_version %q, want %q (rewriter: %+v)", v, c.ts.Version(), p.RewriteStats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	after := fileTiles()
	changed := 0
	for _, a := range covering {
		want, err := c.ts.Tile(context.Background(), a.Z, a.X, a.Y)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(after[a], want) {
			t.Errorf("tile %v in the file is not what the edited data draws", a)
		}
		if !bytes.Equal(after[a], before[a]) {
			changed++
			if !inRange[a] {
				t.Errorf("tile %v changed but was not touched", a)
			}
		}
	}
	st := p.RewriteStats()
	if st.Written != int64(len(inRange)) || changed == 0 {
		t.Errorf("rewrote %d tiles (%d changed) for %d touched of %d baked", st.Written, changed, len(inRange), len(covering))
	}
	t.Logf("%d tiles baked, %d touched in range, %d rewritten, %d changed bytes", len(covering), len(inRange), st.Written, changed)

	// A server started afresh over the edited data trusts the file.
	ts2, err := tiles.New(c.ix, tiles.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := mbtiles.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	p2, note := tiles.NewProvider(ts2, r2, -1)
	defer p2.Close()
	a := covering[len(covering)/2]
	if tl, err := p2.Tile(context.Background(), a.Z, a.X, a.Y); err != nil || tl.From != "baked" {
		t.Errorf("restarted server does not serve the rewritten file (%s): %v", note, err)
	}
}

// TestACategoryFirstSeenInAnEditIsDrawnAsAFullBakeWould builds the city
// without any component of one point category, inserts one, and checks that
// the category's minimum zoom is what a tileset built afresh over the edited
// city chooses (a zoom above the deepest), and that at every zoom the tile
// holding the new component has the same bytes as that fresh tileset's.
func TestACategoryFirstSeenInAnEditIsDrawnAsAFullBakeWould(t *testing.T) {
	ds := liveDemo(t)
	var cat data.Category
	for _, c := range ds.Categories {
		if c.Kind == data.KindComponent && c.Geometry == data.GeomPoint {
			cat = c
			break
		}
	}
	kept := ds.Components[:0]
	for _, c := range ds.Components {
		if c.Category != cat.Code {
			kept = append(kept, c)
		}
	}
	ds.Components = kept
	c := liveCityOf(t, ds)
	ix, ts := c.ix, c.ts
	p, _ := tiles.NewProvider(ts, nil, 0)
	if z := ts.CategoryMinZoom(cat.Code); z != ts.MaxZoom() {
		t.Fatalf("category %s without components starts at z%d, want the deepest z%d", cat.Code, z, ts.MaxZoom())
	}
	pt := c.inside(t, len(ds.UnitGrids)/3)
	for z := ts.MinZoom(); z <= ts.MaxZoom(); z++ {
		fetch(t, p, maptile.At(pt, maptile.Zoom(z))) // cached before the edit
	}
	comp := data.Component{Code: "320114NEWC000001", Category: cat.Code, Name: cat.Name, Geometry: pt,
		Status: data.StatusIntact, Department: cat.Department, Version: 1}
	ins := []data.Change{{Layer: "components", Op: data.OpInsert, Code: comp.Code, Version: 1, AfterComponent: &comp}}
	if _, err := p.Apply(ins, ix.Apply); err != nil {
		t.Fatal(err)
	}
	fresh, err := tiles.New(ix, tiles.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := fresh.CategoryMinZoom(cat.Code)
	if want >= ts.MaxZoom() {
		t.Fatalf("a fresh tileset draws the category from z%d only: the test needs a shallower zoom", want)
	}
	if got := ts.CategoryMinZoom(cat.Code); got != want {
		t.Errorf("category %s first seen in an edit drawn from z%d, a fresh tileset from z%d", cat.Code, got, want)
	}
	fp, _ := tiles.NewProvider(fresh, nil, 0)
	for z := ts.MinZoom(); z <= ts.MaxZoom(); z++ {
		a := maptile.At(pt, maptile.Zoom(z))
		tl, s := fetch(t, p, a)
		ft, _ := fetch(t, fp, a)
		if tl.Hash != ft.Hash {
			t.Errorf("z%d: tile %v differs from the fresh tileset's (from %s)", z, a, tl.From)
		}
		if z >= want && !s.codes[comp.Code] {
			t.Errorf("z%d: the new component is not drawn in tile %v", z, a)
		}
	}
}

// TestAnEditInANeighboursBufferRedrawsTheNeighbour inserts a line
// component that starts a quarter of a deepest-zoom pixel from a z14 tile
// edge and runs 40 pixels away from it, so that at every zoom from 14 on
// it lies in one tile and in the buffer of the neighbour across the edge.
// On the very next request both tiles change, and where the category is
// drawn one by one the neighbour draws it in its buffer; the tile two
// columns away, beyond any buffer, keeps its cached bytes. (Points are
// drawn in their own tile only, so a symbol is never drawn twice.)
func TestAnEditInANeighboursBufferRedrawsTheNeighbour(t *testing.T) {
	c := newLiveCity(t)
	p, _ := tiles.NewProvider(c.ts, nil, 0)
	var cat data.Category
	for _, k := range c.ds.Categories {
		if k.Kind == data.KindComponent && k.Geometry == data.GeomLine && c.ts.CategoryMinZoom(k.Code) < c.ts.MaxZoom() {
			cat = k
			break
		}
	}
	if cat.Code == "" {
		t.Fatal("no line category drawn above the deepest zoom")
	}
	// Among components, so that the tiles around hold some.
	var in orb.Point
	for _, k := range c.ds.Components[len(c.ds.Components)/2:] {
		if q, ok := k.Geometry.(orb.Point); ok {
			in = q
			break
		}
	}
	const edgeZoom = 14
	px := 360 / math.Ldexp(tiles.Extent, c.ts.MaxZoom()) // a deepest-zoom pixel in degrees
	b := maptile.At(in, edgeZoom).Bound()
	// The nearer edge of the z14 tile; dir points from it into the tile.
	edge, dir, side := b.Min.Lon(), 1.0, -1
	if b.Max.Lon()-in.Lon() < in.Lon()-b.Min.Lon() {
		edge, dir, side = b.Max.Lon(), -1.0, 1
	}
	line := orb.LineString{{edge + dir*0.25*px, in.Lat()}, {edge + dir*40*px, in.Lat()}}
	type probe struct {
		at, nb, far             maptile.Tile
		atHash, nbHash, farHash string
	}
	var probes []probe
	for z := edgeZoom; z <= c.ts.MaxZoom(); z++ {
		at := maptile.At(line[0], maptile.Zoom(z))
		if !at.Bound().Contains(line[1]) {
			t.Fatalf("z%d: line %v not within tile %v", z, line, at)
		}
		nb := maptile.New(uint32(int(at.X)+side), at.Y, at.Z)
		if !nb.Bound(float64(tiles.Buffer) / tiles.Extent).Contains(line[1]) {
			t.Fatalf("z%d: line %v not within the buffer of %v", z, line, nb)
		}
		pr := probe{at: at, nb: nb, far: maptile.New(uint32(int(at.X)+2*side), at.Y, at.Z)}
		for _, x := range []struct {
			a maptile.Tile
			h *string
		}{{pr.at, &pr.atHash}, {pr.nb, &pr.nbHash}, {pr.far, &pr.farHash}} {
			tl, _ := fetch(t, p, x.a)
			*x.h = tl.Hash
		}
		probes = append(probes, pr)
	}
	comp := data.Component{Code: "320114EDGE000001", Category: cat.Code, Name: cat.Name, Geometry: line,
		Status: data.StatusIntact, Department: cat.Department, Version: 1}
	ins := []data.Change{{Layer: "components", Op: data.OpInsert, Code: comp.Code, Version: 1, AfterComponent: &comp}}
	if _, err := p.Apply(ins, c.ix.Apply); err != nil {
		t.Fatal(err)
	}
	minZ := c.ts.CategoryMinZoom(cat.Code)
	fars, drawn := 0, 0
	for _, pr := range probes {
		z := int(pr.at.Z)
		at, sa := fetch(t, p, pr.at)
		if at.Hash == pr.atHash {
			t.Errorf("z%d: the tile holding the edit is unchanged", z)
		}
		if z >= minZ {
			drawn++
			nb, sn := fetch(t, p, pr.nb)
			if nb.Hash == pr.nbHash || !sn.codes[comp.Code] {
				t.Errorf("z%d: the neighbour %v does not draw the edit in its buffer (from %s)", z, pr.nb, nb.From)
			}
			if !sa.codes[comp.Code] {
				t.Errorf("z%d: the tile holding the edit does not draw it", z)
			}
		}
		if pr.farHash != "" {
			fars++
			far, _ := fetch(t, p, pr.far)
			if far.From != "cache" || far.Hash != pr.farHash {
				t.Errorf("z%d: the tile two columns away changed (from %s)", z, far.From)
			}
		}
	}
	if drawn < 2 || fars < 2 {
		t.Errorf("drawn one by one at %d zooms, %d non-empty far tiles: the test checks too little", drawn, fars)
	}
}
