package maps

import (
	"fmt"
	"net/http"
	"strings"

	"citygrid/api/httpx"
	"citygrid/api/web"
	"citygrid/data"

	"github.com/go-chi/chi/v5"
)

// page answers GET /: the map page. The server does not start without
// MapLibre GL JS (web.Require), so the page never explains a missing one.
func (m *mapService) page(w http.ResponseWriter, r *http.Request) {
	b, err := web.MapFiles.ReadFile("index.html")
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	b = web.WithNav(b, "map")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

// asset answers GET /web/{file} for the page's own script and styles.
func (m *mapService) asset(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "file")
	b, err := web.MapFiles.ReadFile(name)
	if err != nil || strings.Contains(name, "/") {
		httpx.WriteError(w, fmt.Errorf("web asset %q: %w", name, data.ErrNotFound))
		return
	}
	web.WriteAsset(w, name, b)
}

// maplibre answers GET /web/maplibre-gl/* from the installed dist files.
func (m *mapService) maplibre(w http.ResponseWriter, r *http.Request) {
	web.ServeDist(w, r, m.webDir, chi.URLParam(r, "*"), "maplibre-gl")
}

// pinyin answers GET /web/pinyin-pro/{file}: pinyin-pro's browser bundle,
// with which the category list matches what a person types in pinyin.
func (m *mapService) pinyin(w http.ResponseWriter, r *http.Request) {
	web.ServeDist(w, r, m.pinyinDir, chi.URLParam(r, "file"), "index.js")
}

// namesBody is GET /web/names.json: what the map page needs to show
// names instead of codes.
type namesBody struct {
	// Departments maps a department code to its name.
	Departments map[string]string `json:"departments"`
	// Categories are the city's component and event categories.
	Categories []nameCategory `json:"categories"`
}

// nameCategory is one category of namesBody.
type nameCategory struct {
	Kind       string `json:"kind"`
	Code       string `json:"code"`
	Name       string `json:"name"`
	BigName    string `json:"big_name"`
	Department string `json:"department,omitempty"`
}

// names answers GET /web/names.json from the city's dataset. Department
// and category names are as public as the tiles that carry their codes.
func (m *mapService) names(w http.ResponseWriter, r *http.Request) {
	if m.ix == nil {
		httpx.WriteError(w, fmt.Errorf("names: %w", data.ErrNotFound))
		return
	}
	ds := m.ix.Dataset()
	body := namesBody{Departments: make(map[string]string, len(ds.Departments)), Categories: make([]nameCategory, 0, len(ds.Categories))}
	for _, d := range ds.Departments {
		body.Departments[d.Code] = d.Name
	}
	for _, c := range ds.Categories {
		body.Categories = append(body.Categories, nameCategory{Kind: string(c.Kind), Code: c.Code, Name: c.Name, BigName: c.BigName, Department: c.Department})
	}
	w.Header().Set("Cache-Control", "no-cache")
	httpx.WriteJSON(w, http.StatusOK, body)
}
