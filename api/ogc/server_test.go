package ogc_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"citygrid/api/internal/apitest"
	"citygrid/api/ogc"
	"citygrid/data"
	"citygrid/spatial"
	"citygrid/tiles"

	"github.com/go-chi/chi/v5"
)

// city is a demo city served through the OGC routes on a real listener.
type city struct {
	ds  *data.Dataset
	ix  *spatial.Index
	p   *tiles.Provider
	srv *httptest.Server
}

func newCity(t *testing.T) *city {
	t.Helper()
	ds, ix, p := apitest.DemoTiles(t, 4, 0.02)
	c := &city{ds: ds, ix: ix, p: p}
	s := ogc.New(ogc.Config{
		Index: func() *spatial.Index { return ix },
		Tiles: func() *tiles.Provider { return p },
		ServeTile: func(w http.ResponseWriter, r *http.Request, z, x, y int) {
			tl, err := p.Tile(r.Context(), z, x, y)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			if tl.Data == nil {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			w.Header().Set("ETag", `"`+tl.Hash+`"`)
			w.Write(tl.Data)
		},
	})
	r := chi.NewRouter()
	r.Mount("/ogc", s.Handler())
	c.srv = httptest.NewServer(r)
	t.Cleanup(c.srv.Close)
	return c
}

// get fetches a path (or an absolute URL) and decodes the JSON answer.
func (c *city) get(t *testing.T, path string, wantStatus int, out any) http.Header {
	t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = c.srv.URL + path
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("GET %s: %d %s, want %d", path, resp.StatusCode, body, wantStatus)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
	return resp.Header
}

type link struct {
	Href, Rel, Type string
}

func linkOf(t *testing.T, links []link, rel string) string {
	t.Helper()
	for _, l := range links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

type exception struct {
	Code        string
	Description string
	Position    any
}

type fc struct {
	Type           string
	NumberMatched  int
	NumberReturned int
	Features       []struct {
		ID         string
		Geometry   json.RawMessage
		Properties map[string]any
	}
	Links []link
}

func q(s string) string { return url.QueryEscape(s) }
