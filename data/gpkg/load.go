package gpkg

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"citygrid/data"
)

// Load reads the whole city in one read transaction, so the layers are a
// consistent snapshot even while an import commits. Each layer is one query
// in fid order; repeated strings (categories, departments, statuses, grid
// codes) are interned so a million components share a few thousand strings.
func (s *Store) Load(ctx context.Context) (*data.Dataset, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	defer tx.Rollback()
	l := loader{tx: tx, intern: map[string]string{}}
	ds := &data.Dataset{}
	steps := []struct {
		name string
		fn   func(context.Context, *data.Dataset) error
	}{
		{"districts", func(ctx context.Context, ds *data.Dataset) error { return l.admin(ctx, ds, data.LevelDistrict) }},
		{"streets", func(ctx context.Context, ds *data.Dataset) error { return l.admin(ctx, ds, data.LevelStreet) }},
		{"communities", func(ctx context.Context, ds *data.Dataset) error { return l.admin(ctx, ds, data.LevelCommunity) }},
		{"unit_grids", l.unitGrids},
		{"management_grids", l.managementGrids},
		{"categories", l.categories},
		{"departments", l.departments},
		{"components", l.components},
		{"roads", l.roads},
		{"addresses", l.addresses},
		{"pois", l.pois},
		{"rules", l.rules},
	}
	for _, st := range steps {
		if err := st.fn(ctx, ds); err != nil {
			return nil, fmt.Errorf("load %s: %w", st.name, err)
		}
	}
	return ds, nil
}

// Component reads one component by code.
func (s *Store) Component(ctx context.Context, code string) (data.Component, error) {
	l := loader{tx: s.db, intern: map[string]string{}}
	var c data.Component
	found := false
	err := l.scanComponents(ctx, `WHERE code = ?`, []any{code}, func(cc *data.Component) {
		c, found = *cc, true
	})
	if err != nil {
		return data.Component{}, fmt.Errorf("component %s: %w", code, err)
	}
	if !found {
		return data.Component{}, fmt.Errorf("component %s: %w", code, data.ErrNotFound)
	}
	return c, nil
}

// querier is what loader needs of *sql.DB and *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

type loader struct {
	tx     querier
	intern map[string]string
}

// str interns s. The lookup with a converted []byte key does not allocate.
func (l *loader) str(b sql.RawBytes) string {
	if s, ok := l.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	l.intern[s] = s
	return s
}

// count sizes a layer's slice before the scan.
func (l *loader) count(ctx context.Context, table, where string) (int, error) {
	// max(fid) is a B-tree lookup where count(*) scans; the two differ
	// only by rows deleted, and this is a capacity hint.
	rows, err := l.tx.QueryContext(ctx, "SELECT coalesce(max(fid), 0) FROM "+table+" "+where)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	return n, rows.Err()
}

func multiPolygon(blob []byte) (orb.MultiPolygon, error) {
	if blob == nil {
		return nil, nil
	}
	g, _, err := ParseGeometry(blob)
	if err != nil {
		return nil, err
	}
	switch g := g.(type) {
	case nil:
		return nil, nil
	case orb.MultiPolygon:
		return g, nil
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	case orb.Collection:
		if len(g) == 0 {
			return nil, nil
		}
	}
	return nil, fmt.Errorf("%w: want a (multi)polygon, have %s", ErrGeometry, g.GeoJSONType())
}

func (l *loader) admin(ctx context.Context, ds *data.Dataset, level data.AdminLevel) error {
	table := adminTable(level)
	rows, err := l.tx.QueryContext(ctx, `SELECT geom, code, name, parent FROM `+table+` ORDER BY fid`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var geom, code, name, parent sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&geom, &code, &name, &parent); err != nil {
			return err
		}
		mp, err := multiPolygon(geom)
		if err != nil {
			return fmt.Errorf("%s %s: %w", table, code, err)
		}
		ds.AdminUnits = append(ds.AdminUnits, data.AdminUnit{Level: level, Code: string(code), Name: string(name), Parent: l.str(parent), Geometry: mp})
	}
	return rows.Err()
}

func (l *loader) unitGrids(ctx context.Context, ds *data.Dataset) error {
	n, err := l.count(ctx, "unit_grids", "")
	if err != nil {
		return err
	}
	ds.UnitGrids = make([]data.UnitGrid, 0, n)
	rows, err := l.tx.QueryContext(ctx, `SELECT geom, code, community, area_m2 FROM unit_grids ORDER BY fid`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var geom, code, community sql.RawBytes
	var area float64
	for rows.Next() {
		if err := rows.Scan(&geom, &code, &community, &area); err != nil {
			return err
		}
		mp, err := multiPolygon(geom)
		if err != nil {
			return fmt.Errorf("unit grid %s: %w", code, err)
		}
		ds.UnitGrids = append(ds.UnitGrids, data.UnitGrid{Code: l.str(code), Community: l.str(community), Geometry: mp, AreaM2: area})
	}
	return rows.Err()
}

func (l *loader) managementGrids(ctx context.Context, ds *data.Dataset) error {
	rows, err := l.tx.QueryContext(ctx, `SELECT geom, kind, code, name, unit FROM management_grids ORDER BY fid`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var geom, kind, code, name, unit sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&geom, &kind, &code, &name, &unit); err != nil {
			return err
		}
		mp, err := multiPolygon(geom)
		if err != nil {
			return fmt.Errorf("management grid %s: %w", code, err)
		}
		ds.ManagementGrids = append(ds.ManagementGrids, data.ManagementGrid{Kind: l.str(kind), Code: string(code), Name: string(name), Unit: l.str(unit), Geometry: mp})
	}
	return rows.Err()
}

func (l *loader) categories(ctx context.Context, ds *data.Dataset) error {
	rows, err := l.tx.QueryContext(ctx, `SELECT scheme, kind, code, name, big, big_name, geometry, department, deadline_class FROM categories ORDER BY fid`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var scheme, kind, code, name, big, bigName, geom, dept, deadline sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&scheme, &kind, &code, &name, &big, &bigName, &geom, &dept, &deadline); err != nil {
			return err
		}
		ds.Categories = append(ds.Categories, data.Category{
			Scheme: l.str(scheme), Kind: data.CategoryKind(l.str(kind)), Code: l.str(code), Name: l.str(name),
			Big: l.str(big), BigName: l.str(bigName), Geometry: data.GeometryType(l.str(geom)),
			Department: l.str(dept), DeadlineClass: l.str(deadline),
		})
	}
	return rows.Err()
}

func (l *loader) departments(ctx context.Context, ds *data.Dataset) error {
	rows, err := l.tx.QueryContext(ctx, `SELECT code, name, credit_code, parent, kind FROM departments ORDER BY fid`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var code, name, credit, parent, kind sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&code, &name, &credit, &parent, &kind); err != nil {
			return err
		}
		ds.Departments = append(ds.Departments, data.Department{
			Code: l.str(code), Name: string(name), CreditCode: string(credit), Parent: l.str(parent), Kind: data.DepartmentKind(l.str(kind)),
		})
	}
	return rows.Err()
}

func (l *loader) components(ctx context.Context, ds *data.Dataset) error {
	n, err := l.count(ctx, "components", "")
	if err != nil {
		return err
	}
	ds.Components = make([]data.Component, 0, n)
	return l.scanComponents(ctx, `ORDER BY fid`, nil, func(c *data.Component) {
		ds.Components = append(ds.Components, *c)
	})
}

// scanComponents reads the components selected by tail (a WHERE and/or
// ORDER BY clause) and hands each to fn; the pointer is only valid during
// the call.
//
// The columns that repeat across components (category, name, departments,
// status, grid, dates) come packed into one text value separated by the
// unit separator: the driver allocates a string and an interface per text
// column, and packing cuts a million-row load's allocations by half.
func (l *loader) scanComponents(ctx context.Context, tail string, args []any, fn func(*data.Component)) error {
	return l.scanComponentsErr(ctx, tail, args, func(c *data.Component) error { fn(c); return nil })
}

// scanComponentsErr is scanComponents stopping at fn's first error, which
// it returns.
func (l *loader) scanComponentsErr(ctx context.Context, tail string, args []any, fn func(*data.Component) error) error {
	rows, err := l.tx.QueryContext(ctx, `SELECT geom, code, version, note,
		category || char(31) || name || char(31) || department || char(31) || owner || char(31) ||
		maintainer || char(31) || status || char(31) || unit_grid || char(31) ||
		coalesce(survey_date, '') || char(31) || coalesce(changed_at, '')
		FROM components `+tail, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var geom, code, note, packed sql.RawBytes
	var c data.Component
	var parts [9][]byte
	for rows.Next() {
		if err := rows.Scan(&geom, &code, &c.Version, &note, &packed); err != nil {
			return err
		}
		c.Code = string(code)
		if geom == nil {
			c.Geometry = nil
		} else {
			g, _, err := ParseGeometry(geom)
			if err != nil {
				return fmt.Errorf("component %s: %w", c.Code, err)
			}
			c.Geometry = g
		}
		rest := []byte(packed)
		for i := range parts {
			k := bytes.IndexByte(rest, 31)
			if i == len(parts)-1 {
				k = len(rest)
			} else if k < 0 {
				return fmt.Errorf("component %s: a text column holds the unit separator (0x1F)", c.Code)
			}
			parts[i], rest = rest[:k], rest[min(k+1, len(rest)):]
		}
		if len(rest) > 0 {
			return fmt.Errorf("component %s: a text column holds the unit separator (0x1F)", c.Code)
		}
		c.Category = l.str(parts[0])
		c.Name = l.str(parts[1])
		c.Department = l.str(parts[2])
		c.Owner = l.str(parts[3])
		c.Maintainer = l.str(parts[4])
		c.Status = data.ComponentStatus(l.str(parts[5]))
		c.UnitGrid = l.str(parts[6])
		if c.SurveyDate, err = parseDate(nilIfEmpty(parts[7])); err != nil {
			return fmt.Errorf("component %s survey_date: %w", c.Code, err)
		}
		if c.ChangedAt, err = parseTimestamp(nilIfEmpty(parts[8])); err != nil {
			return fmt.Errorf("component %s changed_at: %w", c.Code, err)
		}
		if len(note) == 0 {
			c.Note = ""
		} else {
			c.Note = string(note)
		}
		if err := fn(&c); err != nil {
			return err
		}
	}
	return rows.Err()
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func (l *loader) roads(ctx context.Context, ds *data.Dataset) error {
	rows, err := l.tx.QueryContext(ctx, `SELECT geom, code, name, district FROM roads ORDER BY fid`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var geom, code, name, district sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&geom, &code, &name, &district); err != nil {
			return err
		}
		r := data.Road{Code: l.str(code), Name: string(name), District: l.str(district)}
		if geom != nil {
			g, _, err := ParseGeometry(geom)
			if err != nil {
				return fmt.Errorf("road %s: %w", r.Code, err)
			}
			switch g := g.(type) {
			case orb.MultiLineString:
				r.Geometry = g
			case orb.LineString:
				r.Geometry = orb.MultiLineString{g}
			case nil:
			default:
				return fmt.Errorf("road %s: %w: want a (multi)linestring, have %s", r.Code, ErrGeometry, g.GeoJSONType())
			}
		}
		ds.Roads = append(ds.Roads, r)
	}
	return rows.Err()
}

func point(blob []byte) (orb.Point, error) {
	if blob == nil {
		return orb.Point{}, nil
	}
	g, _, err := ParseGeometry(blob)
	if err != nil {
		return orb.Point{}, err
	}
	switch g := g.(type) {
	case orb.Point:
		return g, nil
	case nil:
		return orb.Point{}, nil
	}
	return orb.Point{}, fmt.Errorf("%w: want a point, have %s", ErrGeometry, g.GeoJSONType())
}

func (l *loader) addresses(ctx context.Context, ds *data.Dataset) error {
	n, err := l.count(ctx, "addresses", "")
	if err != nil {
		return err
	}
	ds.Addresses = make([]data.Address, 0, n)
	rows, err := l.tx.QueryContext(ctx, `SELECT geom, code, road, number, full_address, community FROM addresses ORDER BY fid`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var geom, code, road, number, full, community sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&geom, &code, &road, &number, &full, &community); err != nil {
			return err
		}
		p, err := point(geom)
		if err != nil {
			return fmt.Errorf("address %s: %w", code, err)
		}
		ds.Addresses = append(ds.Addresses, data.Address{Code: string(code), Road: l.str(road), Number: string(number), FullAddress: string(full), Community: l.str(community), Point: p})
	}
	return rows.Err()
}

func (l *loader) pois(ctx context.Context, ds *data.Dataset) error {
	rows, err := l.tx.QueryContext(ctx, `SELECT geom, code, name, kind, landmark FROM pois ORDER BY fid`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var geom, code, name, kind sql.RawBytes
	var landmark bool
	for rows.Next() {
		if err := rows.Scan(&geom, &code, &name, &kind, &landmark); err != nil {
			return err
		}
		p, err := point(geom)
		if err != nil {
			return fmt.Errorf("poi %s: %w", code, err)
		}
		ds.POIs = append(ds.POIs, data.POI{Code: string(code), Name: string(name), Kind: l.str(kind), Landmark: landmark, Point: p})
	}
	return rows.Err()
}

func (l *loader) rules(ctx context.Context, ds *data.Dataset) error {
	rows, err := l.tx.QueryContext(ctx, `SELECT id, category, scope, scope_ref, unit, priority, note, kind FROM rules ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var category, scope, ref, unit, note, kind sql.RawBytes
	for rows.Next() {
		var r data.Rule
		if err := rows.Scan(&r.ID, &category, &scope, &ref, &unit, &r.Priority, &note, &kind); err != nil {
			return err
		}
		r.Category, r.Scope, r.ScopeRef, r.Unit, r.Note = l.str(category), data.ScopeKind(l.str(scope)), l.str(ref), l.str(unit), string(note)
		r.Kind = data.CategoryKind(l.str(kind))
		ds.Rules = append(ds.Rules, r)
	}
	return rows.Err()
}

var errDate = errors.New("not an ISO 8601 date")

// parseDate reads YYYY-MM-DD (and tolerates a time part, which it drops).
// NULL is the zero time.
func parseDate(b []byte) (time.Time, error) {
	if b == nil {
		return time.Time{}, nil
	}
	if len(b) < 10 || b[4] != '-' || b[7] != '-' {
		return time.Time{}, fmt.Errorf("%w: %q", errDate, b)
	}
	y, ok1 := digits(b[0:4])
	m, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, fmt.Errorf("%w: %q", errDate, b)
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
}

// parseTimestamp reads the GeoPackage DATETIME form quickly and falls back
// to RFC 3339 for values other writers stored.
func parseTimestamp(b []byte) (time.Time, error) {
	if b == nil {
		return time.Time{}, nil
	}
	if len(b) == len(timestampFormat) && b[10] == 'T' && b[19] == '.' && b[23] == 'Z' {
		t, err := parseDate(b[:10])
		h, ok1 := digits(b[11:13])
		mi, ok2 := digits(b[14:16])
		s, ok3 := digits(b[17:19])
		ms, ok4 := digits(b[20:23])
		if err == nil && ok1 && ok2 && ok3 && ok4 && h < 24 && mi < 60 && s < 61 {
			return t.Add(time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(s)*time.Second + time.Duration(ms)*time.Millisecond), nil
		}
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		if d, derr := parseDate(b); derr == nil && len(b) == 10 {
			return d, nil
		}
		return time.Time{}, fmt.Errorf("not an ISO 8601 timestamp: %q", b)
	}
	return t.UTC(), nil
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
