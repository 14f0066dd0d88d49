package demo

import (
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"
)

// lattice is the base tessellation of the demo city: nx × ny quadrilateral
// cells of roughly 100 m, whose corner vertices are jittered but shared by
// every cell that meets there. Everything with an area — district, streets,
// communities, unit grids, management grids — is a union of whole cells, so
// the tilings are exact by construction: neighbours use the very same
// vertex coordinates along their common border.
//
// Cell (i, j) has column i (west → east) and row j (south → north); its
// corners in counter-clockwise order are vertex (i,j), (i+1,j), (i+1,j+1),
// (i,j+1).
type lattice struct {
	nx, ny int
	// vx, vy are the vertices in local metres (x east, y north) around the
	// projection origin; ll are the same vertices in lon/lat.
	vx, vy []float64
	ll     []orb.Point
	// inside marks the cells that belong to the district.
	inside []bool
	// proj converts local metres to lon/lat.
	proj localProjection
}

// localProjection is an affine map from local metres to lon/lat degrees
// around an origin, scaled by the ellipsoid's radii of curvature there.
// Being affine, it keeps straight lines straight, so a point placed inside
// a convex cell in metres is inside it in degrees too.
type localProjection struct {
	lon0, lat0         float64
	degPerMX, degPerMY float64
}

func newLocalProjection(lon0, lat0 float64) localProjection {
	const a, f = 6378137.0, 1 / 298.257222101
	e2 := f * (2 - f)
	phi := lat0 * math.Pi / 180
	s := math.Sin(phi)
	w := 1 - e2*s*s
	n := a / math.Sqrt(w)                  // prime vertical radius
	m := a * (1 - e2) / (w * math.Sqrt(w)) // meridian radius
	return localProjection{
		lon0: lon0, lat0: lat0,
		degPerMX: 180 / math.Pi / (n * math.Cos(phi)),
		degPerMY: 180 / math.Pi / m,
	}
}

func (p localProjection) point(x, y float64) orb.Point {
	return orb.Point{p.lon0 + x*p.degPerMX, p.lat0 + y*p.degPerMY}
}

func (l *lattice) vertex(i, j int) int { return j*(l.nx+1) + i }
func (l *lattice) cell(i, j int) int   { return j*l.nx + i }
func (l *lattice) cellIJ(c int) (int, int) {
	return c % l.nx, c / l.nx
}

// newLattice lays out nx × ny cells whose column widths and row heights
// are drawn from [minSize, maxSize] metres, centred on the origin, with
// every vertex moved by up to ±jitter metres in x and y.
func newLattice(rng *rand.Rand, proj localProjection, nx, ny int, minSize, maxSize, jitter float64) *lattice {
	l := &lattice{nx: nx, ny: ny, proj: proj}
	edges := func(n int) []float64 {
		e := make([]float64, n+1)
		for k := 1; k <= n; k++ {
			e[k] = e[k-1] + minSize + rng.Float64()*(maxSize-minSize)
		}
		mid := e[n] / 2
		for k := range e {
			e[k] -= mid
		}
		return e
	}
	xs, ys := edges(nx), edges(ny)
	nv := (nx + 1) * (ny + 1)
	l.vx = make([]float64, nv)
	l.vy = make([]float64, nv)
	l.ll = make([]orb.Point, nv)
	for j := 0; j <= ny; j++ {
		for i := 0; i <= nx; i++ {
			v := l.vertex(i, j)
			l.vx[v] = xs[i] + (rng.Float64()*2-1)*jitter
			l.vy[v] = ys[j] + (rng.Float64()*2-1)*jitter
			l.ll[v] = proj.point(l.vx[v], l.vy[v])
		}
	}
	l.inside = make([]bool, nx*ny)
	return l
}

// centre is the centre of cell c in local metres.
func (l *lattice) centre(c int) (float64, float64) {
	i, j := l.cellIJ(c)
	a, b, cc, d := l.vertex(i, j), l.vertex(i+1, j), l.vertex(i+1, j+1), l.vertex(i, j+1)
	return (l.vx[a] + l.vx[b] + l.vx[cc] + l.vx[d]) / 4, (l.vy[a] + l.vy[b] + l.vy[cc] + l.vy[d]) / 4
}

// at maps cell-local coordinates (u east, v north, both in (0,1)) to
// lon/lat by bilinear interpolation of the cell's corners. Cells are
// convex, so every (u, v) strictly inside the unit square lands strictly
// inside the cell.
func (l *lattice) at(c int, u, v float64) orb.Point {
	i, j := l.cellIJ(c)
	sw, se, ne, nw := l.ll[l.vertex(i, j)], l.ll[l.vertex(i+1, j)], l.ll[l.vertex(i+1, j+1)], l.ll[l.vertex(i, j+1)]
	a, b, cc, d := (1-u)*(1-v), u*(1-v), u*v, (1-u)*v
	return orb.Point{
		a*sw[0] + b*se[0] + cc*ne[0] + d*nw[0],
		a*sw[1] + b*se[1] + cc*ne[1] + d*nw[1],
	}
}

// cellRing is the closed counter-clockwise ring of cell c.
func (l *lattice) cellRing(c int) orb.Ring {
	i, j := l.cellIJ(c)
	sw, se, ne, nw := l.ll[l.vertex(i, j)], l.ll[l.vertex(i+1, j)], l.ll[l.vertex(i+1, j+1)], l.ll[l.vertex(i, j+1)]
	return orb.Ring{sw, se, ne, nw, sw}
}

// neighbours4 calls fn for the 4-neighbours of cell c that exist.
func (l *lattice) neighbours4(c int, fn func(int)) {
	i, j := l.cellIJ(c)
	if i+1 < l.nx {
		fn(c + 1)
	}
	if j+1 < l.ny {
		fn(c + l.nx)
	}
	if i > 0 {
		fn(c - 1)
	}
	if j > 0 {
		fn(c - l.nx)
	}
}

// Directions of lattice edges, counter-clockwise.
const (
	dirE = iota
	dirN
	dirW
	dirS
)

// trace returns the boundary of a 4-connected set of cells as a
// multipolygon (one polygon per 4-connected piece, holes clockwise, outer
// rings counter-clockwise). Boundary edges are walked with the interior on
// the left, always taking the rightmost turn: at a vertex where the set
// touches itself diagonally, each ring then follows one connected piece of
// the outside, so every ring stays simple and a hole that touches the outer
// ring does so at a single vertex, as OGC simple features require.
func (l *lattice) trace(cells []int, member func(c int) bool) orb.MultiPolygon {
	// out[v] has bit d set when a boundary edge leaves vertex v in
	// direction d.
	out := make(map[int32]uint8, len(cells))
	type edge struct {
		v int32
		d uint8
	}
	var starts []edge
	add := func(v int, d uint8) {
		out[int32(v)] |= 1 << d
		starts = append(starts, edge{int32(v), d})
	}
	for _, c := range cells {
		i, j := l.cellIJ(c)
		if j == 0 || !member(c-l.nx) {
			add(l.vertex(i, j), dirE)
		}
		if i+1 == l.nx || !member(c+1) {
			add(l.vertex(i+1, j), dirN)
		}
		if j+1 == l.ny || !member(c+l.nx) {
			add(l.vertex(i+1, j+1), dirW)
		}
		if i == 0 || !member(c-1) {
			add(l.vertex(i, j+1), dirS)
		}
	}
	step := func(v int32, d uint8) int32 {
		switch d {
		case dirE:
			return v + 1
		case dirN:
			return v + int32(l.nx+1)
		case dirW:
			return v - 1
		default:
			return v - int32(l.nx+1)
		}
	}
	visited := make(map[edge]bool, len(starts))
	type ring struct {
		verts []int32
		area2 float64 // twice the signed area in lattice index units
	}
	var rings []ring
	for _, s := range starts {
		if visited[s] {
			continue
		}
		var verts []int32
		e := s
		for {
			visited[e] = true
			verts = append(verts, e.v)
			w := step(e.v, e.d)
			bits := out[w]
			var nd uint8
			switch {
			case bits&(1<<((e.d+3)%4)) != 0:
				nd = (e.d + 3) % 4
			case bits&(1<<e.d) != 0:
				nd = e.d
			default:
				nd = (e.d + 1) % 4
			}
			e = edge{w, nd}
			if e == s {
				break
			}
		}
		var a2 float64
		nv := int32(l.nx + 1)
		for k := range verts {
			p, q := verts[k], verts[(k+1)%len(verts)]
			a2 += float64(p%nv)*float64(q/nv) - float64(q%nv)*float64(p/nv)
		}
		rings = append(rings, ring{verts, a2})
	}
	toRing := func(r ring) orb.Ring {
		// Every lattice vertex stays, even where the boundary runs
		// straight on in lattice space: jittered, it is a real corner,
		// and the neighbouring polygon has it too.
		out := make(orb.Ring, 0, len(r.verts)+1)
		for _, v := range r.verts {
			out = append(out, l.ll[v])
		}
		return append(out, out[0])
	}
	var mp orb.MultiPolygon
	var outerIdx []int
	for k, r := range rings {
		if r.area2 > 0 {
			outerIdx = append(outerIdx, k)
			mp = append(mp, orb.Polygon{toRing(r)})
		}
	}
	for _, r := range rings {
		if r.area2 > 0 {
			continue
		}
		if len(mp) == 1 {
			mp[0] = append(mp[0], toRing(r))
			continue
		}
		// Several pieces: the hole goes to the smallest outer ring that
		// contains a point just inside it (a cell centre, which never lies
		// on a lattice line).
		nv := int32(l.nx + 1)
		v0, v1 := r.verts[0], r.verts[1]
		x0, y0 := float64(v0%nv), float64(v0/nv)
		x1, y1 := float64(v1%nv), float64(v1/nv)
		// the hole (outside of the set) is on the right of the edge
		mx, my := (x0+x1)/2+(y1-y0)/2, (y0+y1)/2-(x1-x0)/2
		best, bestA := -1, math.Inf(1)
		for pi, k := range outerIdx {
			if rings[k].area2 < bestA && containsIdx(rings[k].verts, nv, mx, my) {
				best, bestA = pi, rings[k].area2
			}
		}
		if best >= 0 {
			mp[best] = append(mp[best], toRing(r))
		}
	}
	return mp
}

// containsIdx is an even-odd point-in-ring test in lattice index space.
func containsIdx(verts []int32, nv int32, x, y float64) bool {
	in := false
	n := len(verts)
	for k := 0; k < n; k++ {
		p, q := verts[k], verts[(k+1)%n]
		px, py := float64(p%nv), float64(p/nv)
		qx, qy := float64(q%nv), float64(q/nv)
		if (py > y) != (qy > y) && x < px+(y-py)*(qx-px)/(qy-py) {
			in = !in
		}
	}
	return in
}
