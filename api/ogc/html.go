package ogc

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
)

// HTML pages of the OGC routes, for people browsing the API (f=html, or a
// browser asking for text/html). They show the same documents as the JSON
// answers; no script, nothing fetched from elsewhere.

// wantsHTML reports whether the answer should be HTML: f=html, or no f
// and an Accept header that prefers text/html (a browser).
func wantsHTML(r *http.Request) bool {
	switch r.URL.Query().Get("f") {
	case "html":
		return true
	case "":
		a := r.Header.Get("Accept")
		return strings.Contains(a, "text/html") && !strings.Contains(a, "json")
	}
	return false
}

var pages = template.Must(template.New("page").Funcs(template.FuncMap{
	"value": func(v any) string {
		if v == nil {
			return "—"
		}
		return fmt.Sprint(v)
	},
}).Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · citygrid OGC API</title>
<style>body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;font-size:14px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f5f7}nav a{margin-right:1rem}.meta{color:#666}</style></head><body>
<nav><a href="{{.Base}}?f=html">首页</a><a href="{{.Base}}/collections?f=html">要素集合</a><a href="{{.Base}}/conformance">符合的标准</a><a href="{{.Base}}/api">接口定义</a></nav>
<h1>{{.Title}}</h1>{{if .Description}}<p class="meta">{{.Description}}</p>{{end}}
{{if .Links}}<ul>{{range .Links}}<li><a href="{{.Href}}">{{if .Title}}{{.Title}}{{else}}{{.Rel}}{{end}}</a> <span class="meta">{{.Type}}</span></li>{{end}}</ul>{{end}}
{{if .Columns}}<p class="meta">共 {{.Matched}} 个要素，本页 {{len .Rows}} 个。</p>
<table><tr><th>id</th>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><td><a href="{{.Href}}">{{.ID}}</a></td>{{range .Cells}}<td>{{value .}}</td>{{end}}</tr>{{end}}</table>
{{if .Next}}<p><a href="{{.Next}}">下一页</a></p>{{end}}{{end}}
</body></html>`))

// page is what one HTML page shows.
type page struct {
	Base, Title, Description string
	Links                    []link
	Columns                  []string
	Rows                     []row
	Matched                  int
	Next                     string
}

type row struct {
	ID, Href string
	Cells    []any
}

// htmlLinks are the links of a document, pointing at their HTML pages
// where those exist.
func htmlLinks(links []link) []link {
	out := make([]link, 0, len(links))
	for _, l := range links {
		if l.Rel == "self" {
			continue
		}
		if l.Type == typeJSON || l.Type == typeGeoJSON {
			sep := "?"
			if strings.Contains(l.Href, "?") {
				sep = "&"
			}
			l.Href += sep + "f=html"
		}
		out = append(out, l)
	}
	return out
}

func writeHTML(w http.ResponseWriter, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pages.Execute(w, p)
}

// featuresPage shows features as a table, one column per property.
func featuresPage(p page, fs []feature, itemURL func(id string) string) page {
	cols := map[string]bool{}
	for _, f := range fs {
		for k := range f.Properties {
			cols[k] = true
		}
	}
	for k := range cols {
		p.Columns = append(p.Columns, k)
	}
	slices.Sort(p.Columns)
	for _, f := range fs {
		r := row{ID: f.ID, Href: itemURL(f.ID)}
		for _, k := range p.Columns {
			r.Cells = append(r.Cells, f.Properties[k])
		}
		p.Rows = append(p.Rows, r)
	}
	return p
}
