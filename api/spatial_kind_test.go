package api

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"citygrid/api/city"
	"citygrid/api/internal/testcity"
	"citygrid/data"
	"citygrid/spatial"
)

// newKindAPITest serves testCity with an event category 0101 (暴露垃圾)
// beside the component category 0101 (上水井盖), and a rule per kind for
// the shared code.
func newKindAPITest(t *testing.T) *apiTest {
	t.Helper()
	ds := testcity.New()
	ds.Categories = append(ds.Categories, data.Category{Scheme: data.SchemeGBT30428, Kind: data.KindEvent, Code: testcity.Cover,
		Name: "暴露垃圾", Big: "01", BigName: "市容环境", Department: "D-STREET", DeadlineClass: "A"})
	ds.Rules = append(ds.Rules,
		data.Rule{ID: 2, Kind: data.KindEvent, Category: testcity.Cover, Scope: data.ScopeCity, Unit: "D-CENTRE"},
		data.Rule{ID: 3, Kind: data.KindComponent, Category: testcity.Cover, Scope: data.ScopeCity, Unit: "D-LIGHT"})
	ix, err := spatial.Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	h, err := newServer(t, city.Config{Index: ix}, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBatchPoints: 1000})
	if err != nil {
		t.Fatal(err)
	}
	doc := loadOpenAPI(t)
	return &apiTest{t: t, h: h, doc: doc, ops: doc.operations(t)}
}

func TestResponsibleKindSeparatesOverlappingCodes(t *testing.T) {
	a := newKindAPITest(t)
	// At (118.735, 31.915) no cover lies within 15 m, so the rule table
	// decides: rule 2 for the event, rule 3 for the component. Keyed by code
	// alone, rule 2 (the lower ID) would decide both.
	tests := []struct {
		name, query              string
		unit, rule, kind, catNam string
	}{
		{"kind=event takes the event rule", "lon=118.735&lat=31.915&category=0101&kind=event", "D-CENTRE", "rule_table", "event", "暴露垃圾"},
		{"kind=component takes the component rule", "lon=118.735&lat=31.915&category=0101&kind=component", "D-LIGHT", "rule_table", "component", "上水井盖"},
		{"kind=component at a cover goes to its maintainer", "lon=118.7050&lat=31.9100&category=0101&kind=component", "D-OWNER", "component_maintainer", "component", "上水井盖"},
		{"a component named by code needs no kind", "component=3201140101000002", "D-WATER", "component_maintainer", "component", "上水井盖"},
		{"an unambiguous code needs no kind", "lon=118.735&lat=31.915&category=0201", "D-STREET", "rule_table", "component", "路灯"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, v := a.do("GET", "/api/v1/responsible", "/api/v1/responsible?"+tt.query, "")
			if code != http.StatusOK {
				t.Fatalf("status %d: %v", code, v)
			}
			if str(v, "unit.code") != tt.unit || str(v, "rule") != tt.rule {
				t.Errorf("unit %s rule %s, want %s %s", str(v, "unit.code"), str(v, "rule"), tt.unit, tt.rule)
			}
			if str(v, "category.kind") != tt.kind || str(v, "category.name") != tt.catNam {
				t.Errorf("category %v, want %s of kind %s", v["category"], tt.catNam, tt.kind)
			}
		})
	}
	bad := []struct{ name, query, field, says string }{
		{"an ambiguous code without kind names both readings", "lon=118.735&lat=31.915&category=0101", "category", "component 0101 上水井盖 or event 0101 暴露垃圾"},
		{"an unknown kind", "lon=118.735&lat=31.915&category=0101&kind=thing", "kind", "unknown category kind"},
		{"a component code for an event case", "component=3201140101000002&kind=event", "kind", "not of kind event"},
	}
	for _, tt := range bad {
		t.Run("400 for "+tt.name, func(t *testing.T) {
			code, v := a.do("GET", "/api/v1/responsible", "/api/v1/responsible?"+tt.query, "")
			if code != http.StatusBadRequest || str(v, "field") != tt.field || !strings.Contains(str(v, "error"), tt.says) {
				t.Errorf("status %d field %q, want 400 naming %s and saying %q: %v", code, str(v, "field"), tt.field, tt.says, v)
			}
		})
	}
}

func TestResponsibleBatchKindPerCase(t *testing.T) {
	a := newKindAPITest(t)
	code, v := a.do("POST", "/api/v1/responsible/batch", "/api/v1/responsible/batch", `{"cases":[
		{"point":[118.735,31.915],"category":"0101","kind":"event"},
		{"point":[118.735,31.915],"category":"0101","kind":"component"}]}`)
	if code != http.StatusOK {
		t.Fatalf("status %d: %v", code, v)
	}
	res := v["results"].([]any)
	if str(res[0], "unit.code") != "D-CENTRE" || str(res[0], "category.kind") != "event" ||
		str(res[1], "unit.code") != "D-LIGHT" || str(res[1], "category.kind") != "component" {
		t.Fatalf("answers %v", res)
	}
	code, v = a.do("POST", "/api/v1/responsible/batch", "/api/v1/responsible/batch", `{"cases":[
		{"point":[118.735,31.915],"category":"0101","kind":"event"},
		{"point":[118.735,31.915],"category":"0101"}]}`)
	if code != http.StatusBadRequest || str(v, "field") != "category" || !strings.Contains(str(v, "error"), "case 1") || !strings.Contains(str(v, "error"), "ambiguous") {
		t.Fatalf("an ambiguous case: status %d %v, want 400 naming case 1", code, v)
	}
}
