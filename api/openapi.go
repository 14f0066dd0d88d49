package api

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"sort"
)

// openAPIFiles is the OpenAPI 3 description of every route New registers,
// in parts: base.json is the document (info, servers, the first routes);
// every other file adds "paths" and "components.schemas" for one area of
// the API, so that each area documents itself next to its handlers.
// openapi_test.go walks the router and fails when routes and document
// disagree.
//
//go:embed openapi/*.json
var openAPIFiles embed.FS

// openAPIDoc is the merged document, built once at start-up.
var openAPIDoc = mustMergeOpenAPI()

// mergeOpenAPI merges base.json and the other parts in file-name order. A
// path or schema defined twice is an error.
func mergeOpenAPI() ([]byte, error) {
	entries, err := openAPIFiles.ReadDir("openapi")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.Name() != "base.json" {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var doc map[string]any
	raw, err := openAPIFiles.ReadFile("openapi/base.json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("openapi/base.json: %w", err)
	}
	paths, _ := doc["paths"].(map[string]any)
	comps, _ := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	if paths == nil || schemas == nil {
		return nil, fmt.Errorf("openapi/base.json: no paths or components.schemas")
	}
	for _, name := range names {
		raw, err := openAPIFiles.ReadFile(path.Join("openapi", name))
		if err != nil {
			return nil, err
		}
		var part struct {
			Paths      map[string]any `json:"paths"`
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(raw, &part); err != nil {
			return nil, fmt.Errorf("openapi/%s: %w", name, err)
		}
		for k, v := range part.Paths {
			if _, dup := paths[k]; dup {
				return nil, fmt.Errorf("openapi/%s: path %s is already documented", name, k)
			}
			paths[k] = v
		}
		for k, v := range part.Components.Schemas {
			if _, dup := schemas[k]; dup {
				return nil, fmt.Errorf("openapi/%s: schema %s is already defined", name, k)
			}
			schemas[k] = v
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func mustMergeOpenAPI() []byte {
	b, err := mergeOpenAPI()
	if err != nil {
		panic("api: " + err.Error())
	}
	return b
}

// serveOpenAPI answers the merged OpenAPI document.
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIDoc)
}
