// Package demo generates the demo city: 雨花台区 of 南京 (county code
// 320114) with its real district, street and community codes and names, and
// synthetic but realistic geometry — communities tiling the district, unit
// grids tiling each community exactly, management grids, departments, a
// named road network with door plates, landmarks and POIs, hundreds of
// thousands of surveyed components and a responsibility rule table.
//
// Generation is deterministic: the same Options give the same Dataset, value
// for value (math/rand/v2 PCG streams, one per phase; no map iteration, no
// clock). Across CPU architectures the last bits of floating-point results
// may differ (Go may fuse multiply-adds on some), which can move a
// coordinate in its last digit but not a code or a count.
//
// Everything with an area is a union of cells of one jittered lattice whose
// vertices are shared by neighbouring cells (see lattice), which makes every
// tiling exact by construction: unit grids tile communities, communities
// tile streets, streets tile the district, and management grids are unions
// of unit grids. Streets are grown over blocks bounded by major roads and
// communities over blocks bounded by any road, so their borders follow
// roads as real ones do.
//
// At scale 1 (seed 1) the city has a 134 km² district, 9 streets, 98
// communities, about 13,100 unit grids (5,000–16,000 m²), 70 responsibility
// and 100 inspector work grids, 49 departments, about 650 named roads with
// 30,000 door plates, 1,250 landmarks and POIs, 480,000 components in 74
// small categories, and 450 responsibility rules. Other seeds differ by a
// few per cent (seeds tried: 448,000–487,000 components).
package demo

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"citygrid/data"
)

// Options controls Generate.
type Options struct {
	// Seed selects the city; the same seed always gives the same city.
	Seed int64
	// Scale multiplies counts: 1 is the full district (about 13,000 unit
	// grids and 400,000+ components), 0.01 a small town for fast tests
	// (fewer unit grids, never fewer than a few per community), 3 about
	// 1.25 million components for benchmarks. Above 1 the district keeps
	// its real size and components get denser. 0 means 1; at most
	// MaxScale.
	Scale float64
	// Progress, when non-nil, receives one line per generation phase:
	//
	//	demo: <step>/<steps> <phase>
	//
	// where step counts from 1 and steps is the same on every line, so a
	// caller can drive a progress bar from it (parse with fmt.Sscanf(line,
	// "demo: %d/%d", &step, &steps)). The line is written when the phase
	// starts.
	Progress io.Writer
	// Scheme is the category scheme of the generated city:
	// data.SchemeGBT30428 (the default, when empty) or data.SchemeGBT47678.
	Scheme string
}

// MaxScale is the largest Scale Generate accepts: about 4.7 million
// components, a few gigabytes in memory. Beyond about scale 7 the most
// common categories (street trees) reach the 999,999 their 6-digit
// sequence can number and stop growing.
const MaxScale = 10

// Centre of the demo district (lon, lat, CGCS2000).
const (
	centreLon = 118.78
	centreLat = 31.99
)

// fullCells is the number of lattice cells (and unit grids) at scale 1:
// about 134 km² of 10,000 m² grids.
const fullCells = 13400

// phases, in order, for the progress protocol.
var phases = []string{
	"district outline",
	"roads",
	"streets and communities",
	"unit grids",
	"management grids",
	"departments and categories",
	"addresses",
	"components",
	"landmarks and POIs",
	"responsibility rules",
}

// Survey dates fall between surveyFrom and surveyTo, change dates no later
// than changedTo; fixed so that generation does not depend on the clock.
var (
	surveyFrom = time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC)
	surveyTo   = time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	changedTo  = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
)

// city is the generator's working state.
type city struct {
	opt     Options
	seed    uint64
	density float64 // component density multiplier
	areaF   float64 // fraction of the real district's area
	l       *lattice
	dv      *divisions
	ds      *data.Dataset
	step    int

	// per lattice cell: street index, global community index, unit grid
	// index; -1 outside the district.
	cellStreet []int32
	cellComm   []int32
	cellGrid   []int32
	comms      []division // global community list
	commStreet []int      // street index of each community

	// respGrids indexes the responsibility grids in ds.ManagementGrids.
	respGrids []int

	roads  []roadInfo
	hRoad  []int32 // horizontal edge → road index or -1
	vRoad  []int32 // vertical edge → road index or -1
	riverJ int     // lattice row line of the river, -1 if none
}

// rng returns a random stream for one phase: phases draw from independent
// streams, so changing how one phase uses randomness leaves the others'
// output alone.
func (c *city) rng(phase uint64) *rand.Rand {
	return rand.New(rand.NewPCG(c.seed, 0x9e3779b97f4a7c15*(phase+1)))
}

func (c *city) progress(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.step++
	if c.opt.Progress != nil {
		fmt.Fprintf(c.opt.Progress, "demo: %d/%d %s\n", c.step, len(phases), phases[c.step-1])
	}
	return nil
}

// Generate builds the demo city described by opt. It checks ctx between
// phases and returns its error when cancelled.
func Generate(ctx context.Context, opt Options) (*data.Dataset, error) {
	if opt.Scale == 0 {
		opt.Scale = 1
	}
	if !(opt.Scale > 0) || opt.Scale > MaxScale {
		return nil, fmt.Errorf("demo: scale %v must be in (0, %v]", opt.Scale, MaxScale)
	}
	if opt.Scheme == "" {
		opt.Scheme = data.SchemeGBT30428
	}
	if _, ok := data.SchemeCategoryLength[opt.Scheme]; !ok {
		return nil, fmt.Errorf("demo: %w: %q", data.ErrUnknownScheme, opt.Scheme)
	}
	dv, err := loadDivisions()
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	c := &city{opt: opt, seed: uint64(opt.Seed), dv: dv, ds: &data.Dataset{}}
	// Below scale 1 the district shrinks, but never below a few cells per
	// community; the component density makes up the rest of the scale.
	minF := float64(6*countCommunities(dv)) / fullCells
	c.areaF = math.Min(1, math.Max(opt.Scale, minF))
	c.density = opt.Scale / c.areaF

	steps := []func(context.Context) error{
		c.buildOutline,
		c.buildRoads,
		c.buildDivisions,
		c.buildUnitGrids,
		c.buildManagementGrids,
		c.buildDepartmentsAndCategories,
		c.buildAddresses,
		c.buildComponents,
		c.buildPOIs,
		c.buildRules,
	}
	for _, s := range steps {
		if err := c.progress(ctx); err != nil {
			return nil, err
		}
		if err := s(ctx); err != nil {
			return nil, fmt.Errorf("demo: %s: %w", phases[c.step-1], err)
		}
	}
	return c.ds, nil
}

func countCommunities(dv *divisions) int {
	n := 0
	for _, cs := range dv.communities {
		n += len(cs)
	}
	return n
}
