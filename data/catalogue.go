package data

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
)

// The default catalogues, one per scheme. They are ordinary catalogue files:
// a city copies one, edits it and loads it with ReadCatalogue.
//
//go:embed catalogue/*.json
var catalogueFS embed.FS

// catalogueFiles names the embedded default catalogue of each scheme.
var catalogueFiles = map[string]string{
	SchemeGBT30428: "catalogue/gbt30428-2013.json",
	SchemeGBT47678: "catalogue/gbt47678-2026.json",
}

// catalogueFile is the JSON form of a category catalogue. Categories name
// their big class by code; the big-class table gives its name, so a name is
// written once.
type catalogueFile struct {
	Scheme string `json:"scheme"`
	Title  string `json:"title,omitempty"`
	// DeadlineClasses describes each deadline class a category may name.
	// When present, every category's deadline_class must be one of them.
	DeadlineClasses map[string]string `json:"deadline_classes,omitempty"`
	BigClasses      []catalogueBig    `json:"big_classes"`
	Categories      []catalogueEntry  `json:"categories"`
}

type catalogueBig struct {
	Kind  CategoryKind `json:"kind"`
	Code  string       `json:"code"`
	Name  string       `json:"name"`
	Local bool         `json:"local,omitempty"`
	Note  string       `json:"note,omitempty"`
}

// BigClass is a big class (大类) of a catalogue. Local marks the class
// that holds a city's own extensions (扩展部件, 扩展事件); it may have no
// small classes until the city adds them.
type BigClass struct {
	Scheme string
	Kind   CategoryKind
	Code   string
	Name   string
	Local  bool
}

type catalogueEntry struct {
	Kind          CategoryKind `json:"kind"`
	Code          string       `json:"code"`
	Name          string       `json:"name"`
	Geometry      GeometryType `json:"geometry,omitempty"`
	Department    string       `json:"department"`
	DeadlineClass string       `json:"deadline_class"`
	// Note is for the people editing the file (sources, doubts); it is not
	// loaded.
	Note string `json:"note,omitempty"`
}

// ReadCatalogue reads and validates a component and event category
// catalogue (JSON; see data/catalogue/*.json for the format). It checks that
// the scheme is known, every code has the scheme's length, the big class is
// the code's prefix and is listed, components have a geometry type and
// events none, departments and deadline classes are given, and no (kind,
// code) pair repeats. Every problem is reported, each naming its entry, as
// ValidationErrors.
func ReadCatalogue(r io.Reader) ([]Category, error) {
	_, cats, err := ReadCatalogueClasses(r)
	return cats, err
}

// ReadCatalogueClasses is ReadCatalogue that also returns the big classes,
// in file order.
func ReadCatalogueClasses(r io.Reader) ([]BigClass, []Category, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f catalogueFile
	if err := dec.Decode(&f); err != nil {
		return nil, nil, fmt.Errorf("read catalogue: %w", err)
	}
	if dec.More() {
		return nil, nil, fmt.Errorf("read catalogue: %w", &ValidationError{Field: "document", Reason: "trailing data after the catalogue object"})
	}
	var errs ValidationErrors
	bad := func(where, field, format string, args ...any) {
		errs = append(errs, &ValidationError{Where: where, Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	n, ok := SchemeCategoryLength[f.Scheme]
	if !ok {
		bad("catalogue", "scheme", "unknown scheme %q (want %q or %q)", f.Scheme, SchemeGBT30428, SchemeGBT47678)
		return nil, nil, fmt.Errorf("read catalogue: %w", errs)
	}
	type kindCode struct {
		kind CategoryKind
		code string
	}
	bigNames := make(map[kindCode]string, len(f.BigClasses))
	bigs := make([]BigClass, 0, len(f.BigClasses))
	for i, b := range f.BigClasses {
		where := fmt.Sprintf("big_classes[%d] (%s %s)", i, b.Kind, b.Code)
		switch {
		case b.Kind != KindComponent && b.Kind != KindEvent:
			bad(where, "kind", "must be %q or %q", KindComponent, KindEvent)
		case len(b.Code) != 2 || !isDigits(b.Code):
			bad(where, "code", "big-class code %q must be 2 digits", b.Code)
		case b.Name == "":
			bad(where, "name", "is empty")
		case bigNames[kindCode{b.Kind, b.Code}] != "":
			bad(where, "code", "big class %s %s is listed twice", b.Kind, b.Code)
		default:
			bigNames[kindCode{b.Kind, b.Code}] = b.Name
			bigs = append(bigs, BigClass{Scheme: f.Scheme, Kind: b.Kind, Code: b.Code, Name: b.Name, Local: b.Local})
		}
	}
	seen := make(map[kindCode]int, len(f.Categories))
	cats := make([]Category, 0, len(f.Categories))
	for i, e := range f.Categories {
		where := fmt.Sprintf("categories[%d] (%s %s %s)", i, e.Kind, e.Code, e.Name)
		before := len(errs)
		if e.Kind != KindComponent && e.Kind != KindEvent {
			bad(where, "kind", "must be %q or %q", KindComponent, KindEvent)
		}
		if err := CheckCategoryCode(f.Scheme, e.Code); err != nil {
			bad(where, "code", "%v", err)
		}
		if e.Name == "" {
			bad(where, "name", "is empty")
		}
		var big, bigName string
		if len(e.Code) == n {
			big = e.Code[:2]
			if bigName = bigNames[kindCode{e.Kind, big}]; bigName == "" {
				bad(where, "code", "big class %s (the code's first two digits) is not in big_classes for kind %s", big, e.Kind)
			}
		}
		switch e.Kind {
		case KindComponent:
			switch e.Geometry {
			case GeomPoint, GeomLine, GeomPolygon:
			default:
				bad(where, "geometry", "component geometry %q must be point, line or polygon", e.Geometry)
			}
		case KindEvent:
			if e.Geometry != "" {
				bad(where, "geometry", "events are located by a point and take no geometry type (got %q)", e.Geometry)
			}
		}
		if e.Department == "" {
			bad(where, "department", "the competent department is missing")
		}
		if e.DeadlineClass == "" {
			bad(where, "deadline_class", "is missing")
		} else if f.DeadlineClasses != nil {
			if _, ok := f.DeadlineClasses[e.DeadlineClass]; !ok {
				bad(where, "deadline_class", "%q is not one of deadline_classes", e.DeadlineClass)
			}
		}
		k := kindCode{e.Kind, e.Code}
		if j, dup := seen[k]; dup {
			bad(where, "code", "%s %s is already defined by categories[%d]", e.Kind, e.Code, j)
		} else {
			seen[k] = i
		}
		if len(errs) > before {
			continue
		}
		cats = append(cats, Category{
			Scheme:        f.Scheme,
			Kind:          e.Kind,
			Code:          e.Code,
			Name:          e.Name,
			Big:           big,
			BigName:       bigName,
			Geometry:      e.Geometry,
			Department:    e.Department,
			DeadlineClass: e.DeadlineClass,
		})
	}
	if err := errs.Err(); err != nil {
		return nil, nil, fmt.Errorf("read catalogue: %w", err)
	}
	if len(cats) == 0 {
		return nil, nil, fmt.Errorf("read catalogue: %w", &ValidationError{Field: "categories", Reason: "the catalogue has no categories"})
	}
	return bigs, cats, nil
}

// ErrUnknownScheme is wrapped by DefaultCatalogue for a scheme it has no
// catalogue for.
var ErrUnknownScheme = errors.New("unknown category scheme")

// DefaultCatalogue returns the built-in catalogue of a scheme
// (SchemeGBT30428 or SchemeGBT47678; "" means SchemeGBT30428), components
// first, each kind ordered by code. Department codes are those of the demo
// city's departments.
func DefaultCatalogue(scheme string) ([]Category, error) {
	if scheme == "" {
		scheme = SchemeGBT30428
	}
	name, ok := catalogueFiles[scheme]
	if !ok {
		return nil, fmt.Errorf("default catalogue %q: %w", scheme, ErrUnknownScheme)
	}
	b, err := catalogueFS.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("default catalogue %q: %w", scheme, err)
	}
	cats, err := ReadCatalogue(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("default catalogue %s: %w", name, err)
	}
	if cats[0].Scheme != scheme {
		return nil, fmt.Errorf("default catalogue %s declares scheme %q, want %q", name, cats[0].Scheme, scheme)
	}
	sort.SliceStable(cats, func(i, j int) bool {
		if cats[i].Kind != cats[j].Kind {
			return cats[i].Kind == KindComponent
		}
		return cats[i].Code < cats[j].Code
	})
	return cats, nil
}

// DefaultBigClasses returns the big classes of the built-in catalogue of
// a scheme ("" means SchemeGBT30428), in file order: components first.
func DefaultBigClasses(scheme string) ([]BigClass, error) {
	b, err := DefaultCatalogueJSON(scheme)
	if err != nil {
		return nil, err
	}
	bigs, _, err := ReadCatalogueClasses(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("default catalogue %q: %w", scheme, err)
	}
	return bigs, nil
}

// DefaultCatalogueJSON returns the embedded catalogue file of a scheme, for
// a city that wants to start its own from it.
func DefaultCatalogueJSON(scheme string) ([]byte, error) {
	if scheme == "" {
		scheme = SchemeGBT30428
	}
	name, ok := catalogueFiles[scheme]
	if !ok {
		return nil, fmt.Errorf("default catalogue %q: %w", scheme, ErrUnknownScheme)
	}
	return catalogueFS.ReadFile(name)
}
