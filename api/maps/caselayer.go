package maps

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"citygrid/api/auth"
	"citygrid/api/httpx"
	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/tiles"

	"github.com/go-chi/chi/v5"
)

// caseStates and caseSources are the values the case tile filters accept.
var (
	caseStates = []cases.State{cases.StateReported, cases.StateVerified, cases.StateRegistered, cases.StateNotRegistered,
		cases.StateDispatched, cases.StateHandled, cases.StateChecked, cases.StateClosed, cases.StateReturned,
		cases.StateArbitration, cases.StateSuspended, cases.StateCancelled}
	caseSources = []cases.Source{cases.SourceInspector, cases.SourceHotline, cases.SourceCitizen, cases.SourceVideo, cases.SourceSelf}
)

// caseFilterParams are the query parameters of the case tiles, in the
// order they are put back into tile URLs.
var caseFilterParams = []string{"state", "category", "source", "unit", "from", "to", "overdue"}

// parseCaseFilter reads the case map filter:
//
//	state=dispatched,handled   workflow states, or "open" for every state that is not final
//	category=event/0406,0101   kind/code, or a bare code (either kind)
//	source=hotline,citizen
//	unit=HW,SZ
//	from=2026-03-01&to=2026-03-31   report time window (dates in China Standard Time, to inclusive)
//	overdue=true               only cases open past their deadline
func parseCaseFilter(q url.Values) (tiles.CaseFilter, error) {
	var f tiles.CaseFilter
	for _, s := range httpx.QueryList(q, "state") {
		if s == "open" {
			for _, st := range caseStates {
				if !st.Terminal() {
					f.States = append(f.States, st)
				}
			}
			continue
		}
		if !slices.Contains(caseStates, cases.State(s)) {
			return f, httpx.BadRequest("state", fmt.Sprintf("%q is not a case state (or open)", s))
		}
		f.States = append(f.States, cases.State(s))
	}
	f.Categories = httpx.QueryList(q, "category")
	for _, c := range f.Categories {
		if len(c) > 40 {
			return f, httpx.BadRequest("category", "too long")
		}
	}
	for _, s := range httpx.QueryList(q, "source") {
		if !slices.Contains(caseSources, cases.Source(s)) {
			return f, httpx.BadRequest("source", fmt.Sprintf("%q is not a report source", s))
		}
		f.Sources = append(f.Sources, cases.Source(s))
	}
	f.Units = httpx.QueryList(q, "unit")
	if s := q.Get("from"); s != "" {
		t, err := httpx.ParseDay("from", s)
		if err != nil {
			return f, err
		}
		f.From = t
	}
	if s := q.Get("to"); s != "" {
		t, err := httpx.ParseDay("to", s)
		if err != nil {
			return f, err
		}
		if len(s) == len("2006-01-02") {
			t = t.AddDate(0, 0, 1)
		}
		f.To = t
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return f, httpx.BadRequest("to", "must be after from")
	}
	switch q.Get("overdue") {
	case "", "false", "0":
	case "true", "1":
		f.OverdueOnly = true
	default:
		return f, httpx.BadRequest("overdue", "want true or false")
	}
	return f, nil
}

// publicCaseWindow is how far back Open311's request list reaches in one
// query: what anyone may see of the cases, the public case map shows.
const publicCaseWindow = 90 * 24 * time.Hour

// scopeCaseFilter narrows the case map to what the caller may see, as the
// case lists do: callers without a token (and citizens) see what Open311
// publishes (a report window of at most 90 days, the last 90 by default,
// without the report source and urgency); a unit's token sees its unit's
// cases only.
func scopeCaseFilter(r *http.Request, f *tiles.CaseFilter, now time.Time) error {
	p := auth.PrincipalOf(r)
	switch {
	case p.Anonymous() || p.Role == data.RoleCitizen:
		if len(f.Sources) > 0 {
			return httpx.BadRequest("source", "the report source is not public: filtering by it needs a token")
		}
		f.Public = true
		switch {
		case f.From.IsZero() && f.To.IsZero():
			f.From = now.Add(-publicCaseWindow).Truncate(time.Hour)
		case f.From.IsZero():
			f.From = f.To.Add(-publicCaseWindow)
		case f.To.IsZero() && now.Sub(f.From) > publicCaseWindow, !f.To.IsZero() && f.To.Sub(f.From) > publicCaseWindow:
			return httpx.BadRequest("to", "at most 90 days after from without a token (as Open311 answers)")
		}
	case p.Role == data.RoleUnit:
		f.Units = []string{p.Unit}
	}
	return nil
}

// filterQuery is the filter part of a case tile request's query, in a
// fixed order, to carry into TileJSON's tile URL.
func filterQuery(q url.Values) string {
	v := url.Values{}
	for _, k := range caseFilterParams {
		if s := q.Get(k); s != "" {
			v.Set(k, strings.Join(q[k], ","))
		}
	}
	return v.Encode()
}

// caseTileJSON answers GET /tiles/cases.json; filter parameters are
// carried into the tile URL template, with the layer's generation (g),
// which changes with every case change.
func (b *caseTiles) caseTileJSON(w http.ResponseWriter, r *http.Request) {
	cors(w)
	q := r.URL.Query()
	if _, err := parseCaseFilter(q); err != nil {
		httpx.WriteError(w, err)
		return
	}
	u := httpx.BaseURL(r) + "/tiles/cases/{z}/{x}/{y}.mvt?g=" + strconv.FormatUint(b.layer.Generation(), 10)
	if fq := filterQuery(q); fq != "" {
		u += "&" + fq
	}
	w.Header().Set("Cache-Control", "no-cache")
	httpx.WriteJSON(w, http.StatusOK, tiles.CaseTileJSON(u, b.layer.Bounds()))
}

// caseTile answers GET /tiles/cases/{z}/{x}/{y}.mvt with the filter of
// the query string. Tiles change with every case change, so they are
// revalidated (ETag) rather than cached for long.
func (b *caseTiles) caseTile(w http.ResponseWriter, r *http.Request) {
	cors(w)
	ys, ext, _ := strings.Cut(chi.URLParam(r, "y"), ".")
	if ext != "mvt" && ext != "pbf" {
		httpx.WriteError(w, httpx.BadRequest("y", "want {y}.mvt"))
		return
	}
	parse := func(field, s string) (int, error) {
		v, err := strconv.Atoi(s)
		if err != nil || len(s) > 9 {
			return 0, httpx.BadRequest(field, "not an integer: "+httpx.Quote(s))
		}
		return v, nil
	}
	z, err := parse("z", chi.URLParam(r, "z"))
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	x, err := parse("x", chi.URLParam(r, "x"))
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	y, err := parse("y", ys)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	f, err := parseCaseFilter(r.URL.Query())
	if err == nil {
		err = scopeCaseFilter(r, &f, b.layer.Now())
	}
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	data, err := b.layer.Tile(z, x, y, &f)
	if err != nil {
		if errors.Is(err, tiles.ErrOutOfRange) {
			field := "z"
			if z >= tiles.CaseMinZoom && z <= tiles.CaseMaxZoom {
				field = "x"
			}
			err = httpx.BadRequest(field, err.Error())
		}
		httpx.WriteError(w, err)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "private, no-cache") // the answer depends on who asks
	h.Set("Vary", "Accept-Encoding, Authorization")
	if data == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	etag := `"` + contentTag(data) + `"`
	if !gz {
		etag = `"` + contentTag(data) + `-identity"`
	}
	h.Set("ETag", etag)
	h.Set("Content-Type", "application/vnd.mapbox-vector-tile")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := data
	if gz {
		h.Set("Content-Encoding", "gzip")
	} else if body, err = tiles.Gunzip(data); err != nil {
		httpx.WriteError(w, err)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// contentTag is a short hash of a tile's bytes (FNV-1a, 64 bits).
func contentTag(b []byte) string {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return strconv.FormatUint(h, 36) + strconv.Itoa(len(b))
}
