// Package open311 is Open311 GeoReport v2
// (http://wiki.open311.org/GeoReport_v2), a protocol facade over the case
// workflow: a service is a small category (service_code "C0101" for the
// component category 0101, "E0101" for the event category 0101), a
// service request is a case. Public routes: citizens' apps need no token.
// Plus mySociety's servicerequestupdates feed so FixMyStreet-style clients
// can follow progress.
package open311

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/api/httpx"
	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/spatial"

	"github.com/go-chi/chi/v5"
)

// open311MaxRequests caps a request listing (the spec's default is 1000).
const open311MaxRequests = 1000

// open311Error is one error of the spec's error list.
type open311Error struct {
	XMLName     xml.Name `json:"-" xml:"error"`
	Code        int      `json:"code" xml:"code"`
	Description string   `json:"description" xml:"description"`
}

type open311Errors struct {
	XMLName xml.Name       `xml:"errors"`
	Errors  []open311Error `xml:"error"`
}

// open311Write answers v as JSON or XML by format.
func open311Write(w http.ResponseWriter, format string, status int, v any, xv any) {
	if format == "xml" {
		b, err := xml.MarshalIndent(xv, "", " ")
		if err != nil {
			status, b = http.StatusInternalServerError, []byte("<errors><error><code>500</code><description>encoding failed</description></error></errors>")
		}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(status)
		w.Write([]byte(xml.Header))
		w.Write(b)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`[{"code":500,"description":"encoding failed"}]`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// open311Fail answers err in the spec's error format with the status the
// domain error maps to.
func open311Fail(w http.ResponseWriter, format string, err error) {
	status := httpx.StatusOf(err)
	var errs []open311Error
	var ve *data.ValidationError
	var ves data.ValidationErrors
	var br *httpx.RequestError
	switch {
	case errors.As(err, &ves):
		for _, e := range ves {
			errs = append(errs, open311Error{Code: status, Description: open311Field(e.Field) + ": " + e.Reason})
		}
	case errors.As(err, &ve):
		errs = append(errs, open311Error{Code: status, Description: open311Field(ve.Field) + ": " + ve.Reason})
	case errors.As(err, &br):
		errs = append(errs, open311Error{Code: status, Description: br.Field + ": " + br.Reason})
	default:
		msg := err.Error()
		if status >= 500 {
			msg = http.StatusText(status)
		}
		errs = append(errs, open311Error{Code: status, Description: msg})
	}
	open311Write(w, format, status, errs, open311Errors{Errors: errs})
}

// open311Field names a case field as Open311 calls it.
func open311Field(f string) string {
	switch f {
	case "lon":
		return "long"
	case "lat":
		return "lat"
	case "category", "kind":
		return "service_code"
	case "address":
		return "address_string"
	}
	return f
}

type open311Service struct {
	XMLName     xml.Name `json:"-" xml:"service"`
	Code        string   `json:"service_code" xml:"service_code"`
	Name        string   `json:"service_name" xml:"service_name"`
	Description string   `json:"description" xml:"description"`
	Metadata    bool     `json:"metadata" xml:"metadata"`
	Type        string   `json:"type" xml:"type"`
	Keywords    string   `json:"keywords" xml:"keywords"`
	Group       string   `json:"group" xml:"group"`
}

type open311Attribute struct {
	XMLName     xml.Name `json:"-" xml:"attribute"`
	Variable    bool     `json:"variable" xml:"variable"`
	Code        string   `json:"code" xml:"code"`
	Datatype    string   `json:"datatype" xml:"datatype"`
	Required    bool     `json:"required" xml:"required"`
	Description string   `json:"description" xml:"description"`
	Order       int      `json:"order" xml:"order"`
	Values      []struct {
		Key  string `json:"key" xml:"key"`
		Name string `json:"name" xml:"name"`
	} `json:"values" xml:"values>value"`
}

type open311Definition struct {
	XMLName    xml.Name           `json:"-" xml:"service_definition"`
	Code       string             `json:"service_code" xml:"service_code"`
	Attributes []open311Attribute `json:"attributes" xml:"attributes>attribute"`
}

// open311Request is a service request as the spec lists it.
type open311Request struct {
	XMLName           xml.Name `json:"-" xml:"request"`
	ID                string   `json:"service_request_id" xml:"service_request_id"`
	Status            string   `json:"status" xml:"status"`
	StatusNotes       string   `json:"status_notes" xml:"status_notes"`
	ServiceName       string   `json:"service_name" xml:"service_name"`
	ServiceCode       string   `json:"service_code" xml:"service_code"`
	Description       string   `json:"description" xml:"description"`
	AgencyResponsible string   `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     string   `json:"service_notice" xml:"service_notice"`
	Requested         string   `json:"requested_datetime" xml:"requested_datetime"`
	Updated           string   `json:"updated_datetime" xml:"updated_datetime"`
	Expected          string   `json:"expected_datetime" xml:"expected_datetime"`
	Address           string   `json:"address" xml:"address"`
	AddressID         string   `json:"address_id" xml:"address_id"`
	Zipcode           string   `json:"zipcode" xml:"zipcode"`
	Lat               float64  `json:"lat" xml:"lat"`
	Long              float64  `json:"long" xml:"long"`
	MediaURL          string   `json:"media_url" xml:"media_url"`
	// Original is the open request a duplicate was linked to (an
	// extension: the reporter follows that one).
	Original *original `json:"original,omitempty" xml:"original,omitempty"`
}

type open311Requests struct {
	XMLName  xml.Name `xml:"service_requests"`
	Requests []any    `xml:"request"`
}

type open311Created struct {
	XMLName       xml.Name `json:"-" xml:"request"`
	ID            string   `json:"service_request_id" xml:"service_request_id"`
	ServiceNotice string   `json:"service_notice" xml:"service_notice"`
	AccountID     string   `json:"account_id" xml:"account_id"`
	// Original: see open311Request.Original.
	Original *original `json:"original,omitempty" xml:"original,omitempty"`
}

type open311Token struct {
	XMLName xml.Name `json:"-" xml:"request"`
	ID      string   `json:"service_request_id" xml:"service_request_id"`
	Token   string   `json:"token" xml:"token"`
}

type open311Update struct {
	XMLName   xml.Name `json:"-" xml:"request_update"`
	UpdateID  string   `json:"update_id" xml:"update_id"`
	RequestID string   `json:"service_request_id" xml:"service_request_id"`
	Status    string   `json:"status" xml:"status"`
	Updated   string   `json:"updated_datetime" xml:"updated_datetime"`
	Desc      string   `json:"description" xml:"description"`
	MediaURL  string   `json:"media_url" xml:"media_url"`
}

type open311Updates struct {
	XMLName xml.Name        `json:"-" xml:"service_request_updates"`
	Updates []open311Update `json:"service_request_updates" xml:"request_update"`
}

type open311Endpoint struct {
	Specification string   `json:"specification" xml:"specification"`
	URL           string   `json:"url" xml:"url"`
	Changeset     string   `json:"changeset" xml:"changeset"`
	Type          string   `json:"type" xml:"type"`
	Formats       []string `json:"formats" xml:"formats>format"`
}

type open311Discovery struct {
	XMLName    xml.Name          `json:"-" xml:"discovery"`
	Changeset  string            `json:"changeset" xml:"changeset"`
	Contact    string            `json:"contact" xml:"contact"`
	KeyService string            `json:"key_service" xml:"key_service"`
	Endpoints  []open311Endpoint `json:"endpoints" xml:"endpoints>endpoint"`
}

// serviceCode is the Open311 code of a category.
func serviceCode(kind data.CategoryKind, code string) string {
	if kind == data.KindComponent {
		return "C" + code
	}
	return "E" + code
}

// parseServiceCode reads a service code back.
func parseServiceCode(s string) (data.CategoryKind, string, bool) {
	if len(s) < 2 {
		return "", "", false
	}
	switch s[0] {
	case 'C':
		return data.KindComponent, s[1:], true
	case 'E':
		return data.KindEvent, s[1:], true
	}
	return "", "", false
}

// open311Status maps a case to the spec's open/closed and to the extended
// status FixMyStreet uses in its updates.
func open311Status(c *cases.Case) (string, string) {
	switch c.State {
	case cases.StateClosed:
		return "closed", "FIXED"
	case cases.StateNotRegistered:
		return "closed", "NO_FURTHER_ACTION"
	case cases.StateCancelled:
		if c.DuplicateOf != 0 {
			return "closed", "DUPLICATE"
		}
		return "closed", "CANCELLED"
	case cases.StateVerified:
		return "open", "INVESTIGATING"
	case cases.StateRegistered, cases.StateDispatched, cases.StateSuspended:
		return "open", "ACTION_SCHEDULED"
	case cases.StateHandled:
		return "open", "IN_PROGRESS"
	case cases.StateChecked:
		return "open", "FIXED"
	case cases.StateReturned, cases.StateArbitration:
		return "open", "INTERNAL_REFERRAL"
	}
	return "open", "OPEN"
}

// stateStatus maps a state alone (updates feed).
func stateStatus(s cases.State, dup bool) string {
	_, st := open311Status(&cases.Case{State: s, DuplicateOf: map[bool]int64{true: 1}[dup]})
	return st
}

func o311Time(t time.Time) string { return t.In(chinaTime).Format(time.RFC3339) }

var chinaTime = httpx.ChinaTime

func (s *service) categoryName(kind data.CategoryKind, code string) string {
	if s.ix != nil {
		if c, ok := s.ix.Category(kind, code); ok {
			return c.Name
		}
	}
	return code
}

func (s *service) toOpen311(ctx context.Context, c *cases.Case, l lang) open311Request {
	status, ext := open311Status(c)
	notes := statusNote(ext, l)
	if c.Reason != "" && c.DuplicateOf == 0 && (c.State == cases.StateNotRegistered || c.State == cases.StateCancelled) {
		notes += l.pick("：", ": ") + c.Reason
	}
	r := open311Request{
		ID: strconv.FormatInt(c.ID, 10), Status: status, StatusNotes: notes, ServiceCode: serviceCode(c.Kind, c.Category),
		ServiceName: s.categoryName(c.Kind, c.Category), Description: c.Description, AgencyResponsible: s.agencyName(c.Unit),
		Requested: o311Time(c.ReportedAt), Updated: o311Time(c.UpdatedAt), Address: c.Address, Lat: c.Lat, Long: c.Lon, MediaURL: c.MediaURL,
	}
	if o := s.originalOf(ctx, c, l); o != nil {
		r.Original = o
		r.ServiceNotice = duplicateNotice(o, l)
	}
	if c.DueAt != nil {
		r.Expected = o311Time(*c.DueAt)
	}
	return r
}

// Mount adds the Open311 GeoReport v2 routes over the city c's workflow.
func Mount(r chi.Router, c *city.City) {
	s := &service{ix: c.Index}
	if c.Workflow != nil {
		s.svc, s.st = c.Workflow.Service, c.Workflow.Store
	}
	s.mount(r)
}

// service is Open311's view of the case workflow: the protocol's
// services, requests and updates over the case service and store.
type service struct {
	svc *cases.Service    // nil: no case workflow (every route answers 503)
	st  cases.ServerStore // the case store
	ix  *spatial.Index
}

func (s *service) mount(r chi.Router) {
	for _, f := range []string{"json", "xml"} {
		f := f
		r.Get("/open311/v2/discovery."+f, func(w http.ResponseWriter, r *http.Request) { s.o311Discovery(w, r, f) })
		r.Get("/open311/v2/services."+f, func(w http.ResponseWriter, r *http.Request) { s.o311Services(w, r, f) })
		r.Get("/open311/v2/services/{code}."+f, func(w http.ResponseWriter, r *http.Request) { s.o311Definition(w, r, f) })
		r.Get("/open311/v2/requests."+f, func(w http.ResponseWriter, r *http.Request) { s.o311Requests(w, r, f) })
		r.Post("/open311/v2/requests."+f, func(w http.ResponseWriter, r *http.Request) { s.o311Post(w, r, f) })
		r.Get("/open311/v2/requests/{id}."+f, func(w http.ResponseWriter, r *http.Request) { s.o311Request(w, r, f) })
		r.Get("/open311/v2/tokens/{token}."+f, func(w http.ResponseWriter, r *http.Request) { s.o311Token(w, r, f) })
		r.Get("/open311/v2/servicerequestupdates."+f, func(w http.ResponseWriter, r *http.Request) { s.o311Updates(w, r, f) })
	}
}

func (s *service) o311Discovery(w http.ResponseWriter, r *http.Request, f string) {
	base := httpx.BaseURL(r) + "/open311/v2"
	d := open311Discovery{Changeset: "2026-01-01T00:00:00+08:00", Contact: "citygrid city-management centre", KeyService: "no API key needed",
		Endpoints: []open311Endpoint{{Specification: "http://wiki.open311.org/GeoReport_v2", URL: base, Changeset: "2026-01-01T00:00:00+08:00", Type: "production", Formats: []string{"application/json", "text/xml"}}}}
	open311Write(w, f, http.StatusOK, d, d)
}

func (s *service) services() []open311Service {
	out := []open311Service{}
	if s.ix == nil {
		return out
	}
	for _, c := range s.ix.Dataset().Categories {
		kind := "部件"
		if c.Kind == data.KindEvent {
			kind = "事件"
		}
		out = append(out, open311Service{Code: serviceCode(c.Kind, c.Code), Name: c.Name, Description: kind + " " + c.BigName + " / " + c.Name,
			Metadata: true, Type: "realtime", Keywords: kind + "," + c.BigName, Group: c.BigName})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

func (s *service) o311Services(w http.ResponseWriter, r *http.Request, f string) {
	svcs := s.services()
	xs := make([]any, len(svcs))
	for i := range svcs {
		xs[i] = svcs[i]
	}
	open311Write(w, f, http.StatusOK, svcs, struct {
		XMLName  xml.Name `xml:"services"`
		Services []any    `xml:"service"`
	}{Services: xs})
}

// o311Definition answers the service definition: the optional attributes
// a request may carry (urgency, area class, component code).
func (s *service) o311Definition(w http.ResponseWriter, r *http.Request, f string) {
	code := chi.URLParam(r, "code")
	kind, cat, ok := parseServiceCode(code)
	if !ok || s.ix == nil {
		open311Fail(w, f, fmt.Errorf("service_code %q: %w", code, data.ErrNotFound))
		return
	}
	if _, ok := s.ix.Category(kind, cat); !ok {
		open311Fail(w, f, fmt.Errorf("service_code %q: %w", code, data.ErrNotFound))
		return
	}
	l := langOf(r)
	type value = struct {
		Key  string `json:"key" xml:"key"`
		Name string `json:"name" xml:"name"`
	}
	urg := open311Attribute{Variable: true, Code: "urgency", Datatype: "singlevaluelist",
		Description: l.pick("现在是否有危险（例如井盖缺失）？", "Is it dangerous now (e.g. an open manhole)?"), Order: 1}
	urg.Values = append(urg.Values, value{"normal", l.pick("一般", "normal")}, value{"urgent", l.pick("紧急（危及安全）", "urgent (safety)")})
	attrs := []open311Attribute{urg}
	if kind == data.KindComponent {
		attrs = append(attrs, open311Attribute{Variable: true, Code: "component", Datatype: "string",
			Description: l.pick("部件上标注的部件标识码（如有）", "The component's identifier (部件标识码) if it is marked on it"), Order: 2})
	}
	d := open311Definition{Code: code, Attributes: attrs}
	open311Write(w, f, http.StatusOK, d, d)
}

// o311Post creates a service request from a form (or JSON) body.
func (s *service) o311Post(w http.ResponseWriter, r *http.Request, f string) {
	if s.svc == nil {
		open311Fail(w, f, city.ErrNoWorkflow)
		return
	}
	vals := map[string]string{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var m map[string]any
		if err := httpx.DecodeJSON(r, &m); err != nil {
			open311Fail(w, f, err)
			return
		}
		for k, v := range m {
			vals[k] = fmt.Sprint(v)
		}
	} else {
		if err := r.ParseForm(); err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				open311Fail(w, f, err)
				return
			}
			open311Fail(w, f, httpx.BadRequest("body", "an application/x-www-form-urlencoded form"))
			return
		}
		for k := range r.PostForm {
			vals[k] = r.PostForm.Get(k)
		}
	}
	code := vals["service_code"]
	if code == "" {
		open311Fail(w, f, httpx.BadRequest("service_code", "required"))
		return
	}
	kind, cat, ok := parseServiceCode(code)
	if !ok || s.ix == nil {
		open311Fail(w, f, fmt.Errorf("service_code %q: %w", code, data.ErrNotFound))
		return
	}
	if _, ok := s.ix.Category(kind, cat); !ok {
		open311Fail(w, f, fmt.Errorf("service_code %q: %w", code, data.ErrNotFound))
		return
	}
	in := cases.NewCase{Source: cases.SourceCitizen, Kind: kind, Category: cat, Description: vals["description"], Address: vals["address_string"], MediaURL: vals["media_url"]}
	latS, lonS := vals["lat"], vals["long"]
	if latS != "" || lonS != "" {
		lat, err1 := strconv.ParseFloat(latS, 64)
		lon, err2 := strconv.ParseFloat(lonS, 64)
		if err1 != nil {
			open311Fail(w, f, httpx.BadRequest("lat", "a number (with long)"))
			return
		}
		if err2 != nil {
			open311Fail(w, f, httpx.BadRequest("long", "a number (with lat)"))
			return
		}
		// crs is an extension parameter: phones and WeChat send GCJ-02.
		if err := httpx.LonLatToStorage("crs", vals["crs"], &lon, &lat); err != nil {
			open311Fail(w, f, err)
			return
		}
		in.Lat, in.Lon = &lat, &lon
	} else if strings.TrimSpace(in.Address) == "" && vals["address_id"] == "" {
		open311Fail(w, f, httpx.BadRequest("lat", "a location is required: lat and long, or address_string"))
		return
	}
	if u := vals["attribute[urgency]"]; u != "" {
		in.Urgency = cases.Urgency(u)
	}
	in.Component = vals["attribute[component]"]
	p := auth.PrincipalOf(r)
	if p.Anonymous() {
		who := vals["phone"]
		if who == "" {
			who = vals["email"]
		}
		if who == "" {
			who = vals["device_id"]
		}
		if who == "" {
			who = "open311"
		}
		p = data.Principal{User: who, Role: data.RoleCitizen}
	}
	if !strings.Contains(p.User, "@") && vals["email"] != "" && p.Role == data.RoleCitizen && vals["phone"] == "" {
		p.User = vals["email"]
	}
	c, err := s.svc.Report(r.Context(), p, in)
	if err != nil {
		open311Fail(w, f, err)
		return
	}
	out := open311Created{ID: strconv.FormatInt(c.ID, 10), AccountID: vals["account_id"]}
	if o := s.originalOf(r.Context(), c, langOf(r)); o != nil {
		out.Original = o
		out.ServiceNotice = duplicateNotice(o, langOf(r))
	}
	open311Write(w, f, http.StatusCreated, []open311Created{out}, open311Requests{Requests: []any{out}})
}

func (s *service) o311Request(w http.ResponseWriter, r *http.Request, f string) {
	if s.svc == nil {
		open311Fail(w, f, city.ErrNoWorkflow)
		return
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		open311Fail(w, f, fmt.Errorf("service_request_id %q: %w", chi.URLParam(r, "id"), data.ErrNotFound))
		return
	}
	c, err := s.st.Get(r.Context(), id)
	if err != nil {
		open311Fail(w, f, err)
		return
	}
	o := s.toOpen311(r.Context(), c, langOf(r))
	open311Write(w, f, http.StatusOK, []open311Request{o}, open311Requests{Requests: []any{o}})
}

// o311Time parses an Open311 date (ISO 8601 with zone, or a bare date in
// China Standard Time).
func o311ParseTime(field, v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", v, chinaTime); err == nil {
		return t, nil
	}
	return time.Time{}, httpx.BadRequest(field, "an ISO 8601 date-time with zone, e.g. 2026-03-01T00:00:00+08:00")
}

func (s *service) o311Requests(w http.ResponseWriter, r *http.Request, f string) {
	if s.svc == nil {
		open311Fail(w, f, city.ErrNoWorkflow)
		return
	}
	q := r.URL.Query()
	var fl cases.Filter
	fl.NoTotal = true
	if ids := q.Get("service_request_id"); ids != "" {
		for _, p := range strings.Split(ids, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
			if err != nil {
				open311Fail(w, f, httpx.BadRequest("service_request_id", "a comma-separated list of request ids"))
				return
			}
			fl.IDs = append(fl.IDs, id)
		}
		if len(fl.IDs) > open311MaxRequests {
			open311Fail(w, f, httpx.BadRequest("service_request_id", fmt.Sprintf("at most %d ids", open311MaxRequests)))
			return
		}
	} else {
		if code := q.Get("service_code"); code != "" {
			kind, cat, ok := parseServiceCode(code)
			if !ok {
				open311Fail(w, f, httpx.BadRequest("service_code", "a service code from services.json"))
				return
			}
			fl.Kind, fl.Category = kind, cat
		}
		var err error
		if v := q.Get("start_date"); v != "" {
			if fl.ReportedFrom, err = o311ParseTime("start_date", v); err != nil {
				open311Fail(w, f, err)
				return
			}
		}
		if v := q.Get("end_date"); v != "" {
			if fl.ReportedTo, err = o311ParseTime("end_date", v); err != nil {
				open311Fail(w, f, err)
				return
			}
		}
		switch {
		case fl.ReportedFrom.IsZero() && fl.ReportedTo.IsZero():
			fl.ReportedFrom = time.Now().AddDate(0, 0, -90)
		case fl.ReportedFrom.IsZero():
			fl.ReportedFrom = fl.ReportedTo.AddDate(0, 0, -90)
		case fl.ReportedTo.IsZero():
			// open end
		case fl.ReportedTo.Before(fl.ReportedFrom):
			open311Fail(w, f, httpx.BadRequest("end_date", "before start_date"))
			return
		case fl.ReportedTo.Sub(fl.ReportedFrom) > 90*24*time.Hour:
			open311Fail(w, f, httpx.BadRequest("end_date", "at most 90 days after start_date"))
			return
		}
		if st := q.Get("status"); st != "" {
			var open, closed bool
			for _, p := range strings.Split(st, ",") {
				switch strings.TrimSpace(p) {
				case "open":
					open = true
				case "closed":
					closed = true
				default:
					open311Fail(w, f, httpx.BadRequest("status", "open, closed or both"))
					return
				}
			}
			if open && !closed {
				fl.Open = true
			} else if closed && !open {
				fl.States = []cases.State{cases.StateClosed, cases.StateNotRegistered, cases.StateCancelled}
			}
		}
	}
	fl.Limit = open311MaxRequests
	if ps := q.Get("page_size"); ps != "" {
		n, err := strconv.Atoi(ps)
		if err != nil || n < 1 || n > open311MaxRequests {
			open311Fail(w, f, httpx.BadRequest("page_size", fmt.Sprintf("1 to %d", open311MaxRequests)))
			return
		}
		fl.Limit = n
	}
	if pg := q.Get("page"); pg != "" {
		n, err := strconv.Atoi(pg)
		if err != nil || n < 1 || n > 1_000_000 {
			open311Fail(w, f, httpx.BadRequest("page", "a page number from 1"))
			return
		}
		fl.Offset = (n - 1) * fl.Limit
	}
	page, err := s.st.List(r.Context(), fl)
	if err != nil {
		open311Fail(w, f, err)
		return
	}
	out := make([]open311Request, len(page.Cases))
	xs := make([]any, len(page.Cases))
	l := langOf(r)
	for i, c := range page.Cases {
		out[i] = s.toOpen311(r.Context(), c, l)
		xs[i] = out[i]
	}
	open311Write(w, f, http.StatusOK, out, open311Requests{Requests: xs})
}

// o311Token: this endpoint is realtime and answers service_request_id at
// once, so a token is the case number, which maps to its id.
func (s *service) o311Token(w http.ResponseWriter, r *http.Request, f string) {
	if s.svc == nil {
		open311Fail(w, f, city.ErrNoWorkflow)
		return
	}
	tok := chi.URLParam(r, "token")
	id, err := s.st.CaseIDByNumber(r.Context(), tok)
	if err != nil {
		open311Fail(w, f, fmt.Errorf("token %q: %w", tok, data.ErrNotFound))
		return
	}
	o := open311Token{ID: strconv.FormatInt(id, 10), Token: tok}
	open311Write(w, f, http.StatusOK, []open311Token{o}, open311Requests{Requests: []any{o}})
}

// o311Updates is mySociety's servicerequestupdates feed: every public
// step of every case in [start_date, end_date) (default: the last 24 h).
func (s *service) o311Updates(w http.ResponseWriter, r *http.Request, f string) {
	if s.svc == nil {
		open311Fail(w, f, city.ErrNoWorkflow)
		return
	}
	q := r.URL.Query()
	// The default window ends a second ahead, so a step recorded in the
	// current millisecond is not missed.
	to := time.Now().Add(time.Second)
	from := to.Add(-24 * time.Hour)
	var err error
	if v := q.Get("start_date"); v != "" {
		if from, err = o311ParseTime("start_date", v); err != nil {
			open311Fail(w, f, err)
			return
		}
	}
	if v := q.Get("end_date"); v != "" {
		if to, err = o311ParseTime("end_date", v); err != nil {
			open311Fail(w, f, err)
			return
		}
	}
	if to.Before(from) {
		open311Fail(w, f, httpx.BadRequest("end_date", "before start_date"))
		return
	}
	l := langOf(r)
	ts, err := s.st.TransitionsBetween(r.Context(), from, to, open311MaxRequests*5)
	if err != nil {
		open311Fail(w, f, err)
		return
	}
	out := open311Updates{Updates: []open311Update{}}
	for _, t := range ts {
		desc := publicNote(t, l, s.agencyName)
		if desc == "" {
			continue
		}
		dup := t.Action == cases.ActReport && t.To == cases.StateCancelled
		if dup {
			desc = l.pick("与同一地点已受理的请求合并。", "Linked to an open request at the same place.")
		}
		out.Updates = append(out.Updates, open311Update{UpdateID: fmt.Sprintf("%d-%d", t.CaseID, t.Seq), RequestID: strconv.FormatInt(t.CaseID, 10),
			Status: stateStatus(t.To, dup), Updated: o311Time(t.At), Desc: desc})
		if len(out.Updates) >= open311MaxRequests {
			break
		}
	}
	open311Write(w, f, http.StatusOK, out, out)
}
