package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// openAPI is the part of an OpenAPI 3 document the tests read.
type openAPI struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]*schema `json:"schemas"`
	} `json:"components"`
}

// operation is one documented method of a path.
type operation struct {
	OperationID string `json:"operationId"`
	Responses   map[string]struct {
		Content map[string]struct {
			Schema   *schema                    `json:"schema"`
			Example  json.RawMessage            `json:"example"`
			Examples map[string]json.RawMessage `json:"examples"`
		} `json:"content"`
	} `json:"responses"`
	RequestBody *struct {
		Content map[string]struct {
			Schema  *schema         `json:"schema"`
			Example json.RawMessage `json:"example"`
		} `json:"content"`
	} `json:"requestBody"`
}

// schema is the subset of JSON Schema the documents use.
type schema struct {
	Ref                  string             `json:"$ref"`
	Type                 string             `json:"type"`
	Required             []string           `json:"required"`
	Properties           map[string]*schema `json:"properties"`
	Items                *schema            `json:"items"`
	Enum                 []any              `json:"enum"`
	OneOf                []*schema          `json:"oneOf"`
	Nullable             bool               `json:"nullable"`
	AdditionalProperties any                `json:"additionalProperties"`
}

func loadOpenAPI(t *testing.T) *openAPI {
	t.Helper()
	var doc openAPI
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("merged openapi document: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	return &doc
}

// operations returns "METHOD path" → operation for every documented one.
func (d *openAPI) operations(t *testing.T) map[string]operation {
	t.Helper()
	ops := map[string]operation{}
	for path, methods := range d.Paths {
		for m, raw := range methods {
			switch m {
			case "get", "post", "put", "patch", "delete", "head", "options":
			default:
				continue // parameters, summary, ...
			}
			var op operation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", m, path, err)
			}
			ops[strings.ToUpper(m)+" "+path] = op
		}
	}
	return ops
}

// resolve follows a local $ref.
func (d *openAPI) resolve(s *schema) (*schema, error) {
	for s != nil && s.Ref != "" {
		name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/")
		if !ok {
			return nil, fmt.Errorf("unsupported $ref %q", s.Ref)
		}
		next := d.Components.Schemas[name]
		if next == nil {
			return nil, fmt.Errorf("$ref %q names no schema", s.Ref)
		}
		s = next
	}
	return s, nil
}

// validate checks v (decoded JSON) against s: types, required properties,
// enums, items and nested properties; it returns every mismatch.
func (d *openAPI) validate(s *schema, v any, at string) []string {
	s, err := d.resolve(s)
	if err != nil {
		return []string{at + ": " + err.Error()}
	}
	if s == nil {
		return nil
	}
	if v == nil {
		if s.Nullable || s.Type == "" {
			return nil
		}
		return []string{at + ": null where " + s.Type + " is documented"}
	}
	if len(s.OneOf) > 0 {
		var all []string
		for _, alt := range s.OneOf {
			errs := d.validate(alt, v, at)
			if len(errs) == 0 {
				return nil
			}
			all = append(all, errs...)
		}
		return []string{at + ": matches no oneOf alternative: " + strings.Join(all, "; ")}
	}
	var errs []string
	if len(s.Enum) > 0 {
		found := false
		for _, e := range s.Enum {
			if fmt.Sprint(e) == fmt.Sprint(v) {
				found = true
			}
		}
		if !found {
			errs = append(errs, fmt.Sprintf("%s: %v is not one of %v", at, v, s.Enum))
		}
	}
	switch s.Type {
	case "object":
		o, ok := v.(map[string]any)
		if !ok {
			return append(errs, fmt.Sprintf("%s: %T where object is documented", at, v))
		}
		for _, r := range s.Required {
			if _, ok := o[r]; !ok {
				errs = append(errs, at+": required property "+r+" missing")
			}
		}
		for k, pv := range o {
			if ps := s.Properties[k]; ps != nil {
				errs = append(errs, d.validate(ps, pv, at+"."+k)...)
			} else if as, ok := s.AdditionalProperties.(map[string]any); ok {
				raw, _ := json.Marshal(as)
				var sub schema
				_ = json.Unmarshal(raw, &sub)
				errs = append(errs, d.validate(&sub, pv, at+"."+k)...)
			} else if s.AdditionalProperties == false {
				errs = append(errs, at+": undocumented property "+k)
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return append(errs, fmt.Sprintf("%s: %T where array is documented", at, v))
		}
		for i, item := range a {
			if i >= 50 {
				break
			}
			errs = append(errs, d.validate(s.Items, item, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case "string":
		if _, ok := v.(string); !ok {
			errs = append(errs, fmt.Sprintf("%s: %T where string is documented", at, v))
		}
	case "number":
		if _, ok := v.(float64); !ok {
			errs = append(errs, fmt.Sprintf("%s: %T where number is documented", at, v))
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			errs = append(errs, fmt.Sprintf("%s: %v where integer is documented", at, v))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			errs = append(errs, fmt.Sprintf("%s: %T where boolean is documented", at, v))
		}
	}
	return errs
}

// routes walks the router and returns "METHOD /path/{param}" for every
// registered route.
func routes(t *testing.T, h http.Handler) []string {
	t.Helper()
	r, ok := h.(chi.Routes)
	if !ok {
		t.Fatalf("handler %T is not a chi router", h)
	}
	var out []string
	err := chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		// Sub-routers leave "/*/" joints; a catch-all "/*" is documented
		// as the path parameter {path}.
		route = strings.ReplaceAll(route, "/*/", "/")
		if len(route) > 1 {
			route = strings.TrimSuffix(route, "/")
		}
		if strings.HasSuffix(route, "/*") {
			route = strings.TrimSuffix(route, "*") + "{path}"
		}
		out = append(out, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestOpenAPIDocumentsExactlyTheRegisteredRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	h := newTestServer(t)
	registered := map[string]bool{}
	for _, r := range routes(t, h) {
		registered[r] = true
	}
	documented := doc.operations(t)
	for r := range registered {
		if _, ok := documented[r]; !ok {
			t.Errorf("route %s is registered but not documented in api/openapi/*.json", r)
		}
	}
	for r := range documented {
		if !registered[r] {
			t.Errorf("route %s is documented but not registered", r)
		}
	}
}

func TestOpenAPIExamplesValidateAgainstTheirSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	n := 0
	for name, op := range doc.operations(t) {
		for status, resp := range op.Responses {
			for ct, c := range resp.Content {
				examples := map[string]json.RawMessage{}
				if len(c.Example) > 0 {
					examples["example"] = c.Example
				}
				for k, e := range c.Examples {
					var wrapped struct {
						Value json.RawMessage `json:"value"`
					}
					if err := json.Unmarshal(e, &wrapped); err != nil || len(wrapped.Value) == 0 {
						t.Errorf("%s %s %s example %s has no value", name, status, ct, k)
						continue
					}
					examples[k] = wrapped.Value
				}
				for k, e := range examples {
					var v any
					if err := json.Unmarshal(e, &v); err != nil {
						t.Errorf("%s %s example %s: %v", name, status, k, err)
						continue
					}
					for _, msg := range doc.validate(c.Schema, v, "$") {
						t.Errorf("%s %s example %s: %s", name, status, k, msg)
					}
					n++
				}
			}
		}
		if op.RequestBody != nil {
			for ct, c := range op.RequestBody.Content {
				if len(c.Example) == 0 {
					continue
				}
				var v any
				if err := json.Unmarshal(c.Example, &v); err != nil {
					t.Errorf("%s request %s example: %v", name, ct, err)
					continue
				}
				for _, msg := range doc.validate(c.Schema, v, "$") {
					t.Errorf("%s request example: %s", name, msg)
				}
				n++
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d examples in the OpenAPI document; every API answer should have one", n)
	}
}

func TestOpenAPISchemaValidatorCatchesMismatches(t *testing.T) {
	doc := &openAPI{}
	doc.Components.Schemas = map[string]*schema{
		"Ref": {Type: "object", Required: []string{"code"}, Properties: map[string]*schema{"code": {Type: "string"}}},
	}
	s := &schema{Type: "object", Required: []string{"a", "r"}, Properties: map[string]*schema{
		"a": {Type: "array", Items: &schema{Type: "integer"}},
		"r": {Ref: "#/components/schemas/Ref"},
		"e": {Type: "string", Enum: []any{"x", "y"}},
	}}
	tests := []struct {
		name  string
		json  string
		valid bool
	}{
		{"a matching value passes", `{"a":[1,2],"r":{"code":"1"},"e":"x"}`, true},
		{"a missing required property fails", `{"a":[1]}`, false},
		{"a property missing in a referenced schema fails", `{"a":[],"r":{}}`, false},
		{"a wrong item type fails", `{"a":[1.5],"r":{"code":"1"}}`, false},
		{"a value outside the enum fails", `{"a":[],"r":{"code":"1"},"e":"z"}`, false},
		{"a string where an object is documented fails", `"x"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(tt.json), &v); err != nil {
				t.Fatal(err)
			}
			errs := doc.validate(s, v, "$")
			if (len(errs) == 0) != tt.valid {
				t.Errorf("valid=%v, errors %v", tt.valid, errs)
			}
		})
	}
}
