package httpx

import (
	"net/http"
	"net/url"
)

// SetNextLink announces the next page of a list: a Link header (RFC 8288,
// rel="next") holding the request's own path and query with after set to
// the last key of this page. The link is relative, so that it never
// depends on the Host or forwarded headers a client sent.
func SetNextLink(w http.ResponseWriter, r *http.Request, after string) string {
	q := r.URL.Query()
	q.Set("after", after)
	u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	link := u.String()
	w.Header().Set("Link", "<"+link+`>; rel="next"`)
	return link
}
