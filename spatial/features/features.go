// Package features presents citygrid's layers as OGC API – Features
// collections: each collection's identity, queryables and extent, and the
// items query — bbox, CQL2 filter, property filters, datetime and paging —
// answered from the spatial index. Candidates come from the R-tree inside
// the query's box (the bbox parameter intersected with the box the
// filter's spatial predicates bound, see cql2.Plan); the whole filter is
// then evaluated on each.
//
// Items are ordered by id (the feature's code), and pages continue after
// the last id of the previous page, so paging stays stable while edits
// come in. The package knows nothing of HTTP: the api layer decodes
// parameters, calls Items and encodes GeoJSON.
package features

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"slices"
	"time"

	"citygrid/data"
	"citygrid/spatial"
	"citygrid/spatial/cql2"

	"github.com/paulmach/orb"
)

// Item is one feature of a collection as an answer carries it.
type Item struct {
	ID         string
	Geometry   orb.Geometry
	Properties map[string]any
	// Version is the feature's edit version, for ETag and If-Match;
	// 0 for layers that are not edited through the API.
	Version int64
}

// Collection is one layer.
type Collection struct {
	ID, Title, Description string
	// Queryables are the properties filters may name.
	Queryables cql2.Queryables
	// Temporal is the timestamp property datetime filters on ("" when the
	// layer has none: datetime is then ignored).
	Temporal string
	// Editable: the layer takes Part 4 writes.
	Editable bool

	search func(ix *spatial.Index, b orb.Bound, fn func(f feature, id string) bool)
	get    func(ix *spatial.Index, id string) (Item, bool)
}

// world is the box that holds everything.
var world = orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}

// Collections lists citygrid's collections, the order a landing page
// shows them in.
func Collections() []*Collection { return slices.Clone(all) }

// Lookup finds a collection by id.
func Lookup(id string) (*Collection, bool) {
	for _, c := range all {
		if c.ID == id {
			return c, true
		}
	}
	return nil, false
}

var all = []*Collection{
	{
		ID: "components", Title: "部件", Description: "管理部件（城市部件普查数据）",
		Queryables: componentQueryables, Temporal: "changed_at", Editable: true,
		search: func(ix *spatial.Index, b orb.Bound, fn func(feature, string) bool) {
			each := func(c *data.Component) bool {
				return fn(Component{c}, c.Code)
			}
			if b == world {
				// Everything: the slice is several times faster to walk
				// than the R-tree (see docs/performance.md), and holds
				// features without geometry too.
				viewAll(ix, func(ds *data.Dataset) []data.Component { return ds.Components }, each)
				return
			}
			ix.Components(b, each)
		},
		get: func(ix *spatial.Index, id string) (Item, bool) {
			return viewed(ix, func() (*data.Component, bool) { return ix.Component(id) }, componentItem)
		},
	},
	{
		ID: "unit_grids", Title: "单元网格", Description: "单元网格（GB/T 30428.1）",
		Queryables: unitGridQueryables, Editable: true,
		search: func(ix *spatial.Index, b orb.Bound, fn func(feature, string) bool) {
			each := func(g *data.UnitGrid) bool {
				return fn(UnitGrid{g}, g.Code)
			}
			if b == world {
				viewAll(ix, func(ds *data.Dataset) []data.UnitGrid { return ds.UnitGrids }, each)
				return
			}
			ix.UnitGrids(b, each)
		},
		get: func(ix *spatial.Index, id string) (Item, bool) {
			return viewed(ix, func() (*data.UnitGrid, bool) { return ix.UnitGrid(id) }, gridItem)
		},
	},
	adminCollection("districts", "区县", data.LevelDistrict),
	adminCollection("streets", "街道", data.LevelStreet),
	adminCollection("communities", "社区", data.LevelCommunity),
	{
		ID: "management_grids", Title: "管理网格", Description: "责任网格、监督员工作网格等管理网格；id 为 kind:code",
		Queryables: managementQueryables,
		search: func(ix *spatial.Index, b orb.Bound, fn func(feature, string) bool) {
			ix.ManagementGrids("", b, func(g *data.ManagementGrid) bool {
				return fn(ManagementGrid{g}, managementID(g))
			})
		},
		get: func(ix *spatial.Index, id string) (Item, bool) {
			for i := 0; i < len(id); i++ {
				if id[i] == ':' {
					if g, ok := ix.ManagementGrid(id[:i], id[i+1:]); ok {
						return managementItem(g), true
					}
				}
			}
			return Item{}, false
		},
	},
}

// viewAll walks a live-edited layer's slice while no edit runs: live
// edits keep it compact (a delete moves the last feature into the hole).
func viewAll[T any](ix *spatial.Index, layer func(*data.Dataset) []T, fn func(*T) bool) {
	ix.View(func() {
		fs := layer(ix.Dataset())
		for i := range fs {
			if !fn(&fs[i]) {
				return
			}
		}
	})
}

// viewed finds a feature of a live-edited layer and copies it out while
// no edit runs.
func viewed[T any](ix *spatial.Index, find func() (*T, bool), item func(*T) Item) (Item, bool) {
	var it Item
	var ok bool
	ix.View(func() {
		var v *T
		if v, ok = find(); ok {
			it = item(v)
		}
	})
	return it, ok
}

func adminCollection(id, title string, level data.AdminLevel) *Collection {
	return &Collection{
		ID: id, Title: title, Description: "行政区划：" + title, Queryables: adminQueryables,
		search: func(ix *spatial.Index, b orb.Bound, fn func(feature, string) bool) {
			ix.AdminUnits(level, b, func(u *data.AdminUnit) bool {
				return fn(AdminUnit{u}, u.Code)
			})
		},
		get: func(ix *spatial.Index, id string) (Item, bool) {
			if u, ok := ix.AdminUnit(level, id); ok {
				return adminItem(u), true
			}
			return Item{}, false
		},
	}
}

// managementID names a management grid: codes are unique per kind only.
func managementID(g *data.ManagementGrid) string { return g.Kind + ":" + g.Code }

// answer turns a filter value into what an item's JSON carries.
func answer(v any) any {
	switch x := v.(type) {
	case cql2.Time:
		if x.Date {
			return x.T.Format(time.DateOnly)
		}
		return x.T.UTC().Format(time.RFC3339)
	case orb.Geometry:
		return nil
	}
	return v
}

func itemOf(id string, g orb.Geometry, version int64, f cql2.Feature, q cql2.Queryables) Item {
	props := make(map[string]any, len(q))
	for name := range q {
		if name != GeometryProperty {
			props[name] = answer(f.Property(name))
		}
	}
	return Item{ID: id, Geometry: g, Properties: props, Version: version}
}

func componentItem(c *data.Component) Item {
	return itemOf(c.Code, c.Geometry, c.Version, Component{c}, componentQueryables)
}

func gridItem(g *data.UnitGrid) Item {
	return itemOf(g.Code, g.Geometry, 0, UnitGrid{g}, unitGridQueryables)
}

func adminItem(u *data.AdminUnit) Item {
	return itemOf(u.Code, u.Geometry, 0, AdminUnit{u}, adminQueryables)
}

func managementItem(g *data.ManagementGrid) Item {
	return itemOf(managementID(g), g.Geometry, 0, ManagementGrid{g}, managementQueryables)
}

// Query is an items request, its parameters decoded.
type Query struct {
	// Filter is the compiled filter: CQL2, the bbox, the property
	// filters and datetime (see BBox, PropertyFilter, Datetime and
	// Filter); nil for none.
	Filter *cql2.Filter
	// After continues a listing after this id (the last of the previous
	// page); "" starts at the beginning.
	After string
	// Limit is the page size.
	Limit int
}

// Limits of a page, as Part 1 lets a server choose them.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// Page is one page of items.
type Page struct {
	Items []Item
	// Matched counts every item the query matches, across pages.
	Matched int
	// Next is the After of the next page; "" on the last page.
	Next string
}

// ErrLimit is returned for a limit outside 1..MaxLimit.
var ErrLimit = errors.New("limit out of range")

// Items answers a query: the matching items with ids above q.After, the
// q.Limit lowest, and the count of all matches.
func (c *Collection) Items(ix *spatial.Index, q Query) (Page, error) {
	if q.Limit < 1 || q.Limit > MaxLimit {
		return Page{}, fmt.Errorf("%w: %d (want 1..%d)", ErrLimit, q.Limit, MaxLimit)
	}
	b := world
	if q.Filter != nil {
		plan := q.Filter.Plan(GeometryProperty)
		switch {
		case plan.Empty:
			return Page{}, nil
		case plan.Bounded:
			b = plan.Bound
		}
	}
	// One read lock around the whole query: the page's items are copied
	// out at the end, from the same state of the data.
	var page Page
	var err error
	ix.View(func() {
		page, err = collect(q, func(fn func(feature, string) bool) { c.search(ix, b, fn) })
	})
	return page, err
}

// collect runs a query over the features each hands over: the matches
// with ids above q.After, the q.Limit lowest, and the count of all. The
// features must stay valid until collect returns (Items holds the index's
// read lock).
func collect(q Query, each func(fn func(f feature, id string) bool)) (Page, error) {
	var page Page
	// top keeps the Limit+1 lowest ids above After: one more than the
	// page, to know whether a next page exists.
	top := &idHeap{}
	each(func(f feature, id string) bool {
		if q.Filter != nil && !q.Filter.Match(f) {
			return true
		}
		page.Matched++
		if id <= q.After && q.After != "" {
			return true
		}
		if top.Len() <= q.Limit {
			heap.Push(top, held{id, f})
		} else if id < (*top)[0].id {
			(*top)[0] = held{id, f}
			heap.Fix(top, 0)
		}
		return true
	})
	items := make([]held, top.Len())
	copy(items, *top)
	slices.SortFunc(items, func(a, b held) int { return cmp.Compare(a.id, b.id) })
	if len(items) > q.Limit {
		items = items[:q.Limit]
		page.Next = items[q.Limit-1].id
	}
	page.Items = make([]Item, len(items))
	for i, h := range items {
		page.Items[i] = h.f.item()
	}
	return page, nil
}

// History is an edited layer as the store read it at a past time.
type History struct {
	Components []data.Component
	UnitGrids  []data.UnitGrid
}

// ErrNoHistory is returned for as-of reads of a layer without history.
var ErrNoHistory = errors.New("the layer keeps no history")

// ItemsAsOf answers a query over a past state of the layer (components or
// unit grids): the store's as-of read is scanned whole, as no index of
// the past exists.
func (c *Collection) ItemsAsOf(h History, q Query) (Page, error) {
	if q.Limit < 1 || q.Limit > MaxLimit {
		return Page{}, fmt.Errorf("%w: %d (want 1..%d)", ErrLimit, q.Limit, MaxLimit)
	}
	switch c.ID {
	case "components":
		return collect(q, func(fn func(feature, string) bool) {
			for i := range h.Components {
				comp := &h.Components[i]
				if !fn(Component{comp}, comp.Code) {
					return
				}
			}
		})
	case "unit_grids":
		return collect(q, func(fn func(feature, string) bool) {
			for i := range h.UnitGrids {
				g := &h.UnitGrids[i]
				if !fn(UnitGrid{g}, g.Code) {
					return
				}
			}
		})
	}
	return Page{}, fmt.Errorf("%s: %w", c.ID, ErrNoHistory)
}

// Item finds one item by id.
func (c *Collection) Item(ix *spatial.Index, id string) (Item, bool) { return c.get(ix, id) }

// Extent is the lon/lat box of the collection's features, and for a
// collection with a temporal property the first and last timestamps.
func (c *Collection) Extent(ix *spatial.Index) (b orb.Bound, first, last time.Time, ok bool) {
	c.search(ix, world, func(f feature, _ string) bool {
		g, _ := f.Property(GeometryProperty).(orb.Geometry)
		if g == nil {
			return true
		}
		if !ok {
			b, ok = g.Bound(), true
		} else {
			b = b.Union(g.Bound())
		}
		if c.Temporal != "" {
			if t, isTime := f.Property(c.Temporal).(cql2.Time); isTime {
				if first.IsZero() || t.T.Before(first) {
					first = t.T
				}
				if t.T.After(last) {
					last = t.T
				}
			}
		}
		return true
	})
	return b, first, last, ok
}

// held is a candidate of a page.
type held struct {
	id string
	f  feature
}

// feature is a layer's feature as a filter reads it and as an item
// copies it out (only for a page's winners: most candidates of a large
// page are pushed out again).
type feature interface {
	cql2.Feature
	item() Item
}

// idHeap is a max-heap on id: the root is the highest id kept.
type idHeap []held

func (h idHeap) Len() int           { return len(h) }
func (h idHeap) Less(i, j int) bool { return h[i].id > h[j].id }
func (h idHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *idHeap) Push(x any)        { *h = append(*h, x.(held)) }
func (h *idHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
