package auth

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"citygrid/api/httpx"
	"citygrid/api/web"
	"citygrid/data"

	"github.com/go-chi/chi/v5"
)

// SignInFirst sends a browser that is not signed in from a page to the
// sign-in page (303), which brings it back to the page once signed in.
// Pages stay free of credentials in their address: no ?token=.
func SignInFirst(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if PrincipalOf(r).Anonymous() {
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, SignInPath+"?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// signInPage answers GET /login: the Chinese sign-in form.
func signInPage(w http.ResponseWriter, r *http.Request) {
	body, err := web.LoginFiles.ReadFile("login.html")
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	web.WritePage(w, body)
}

// signInAsset answers GET /login/assets/{file}: the form's script and
// styles.
func signInAsset(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "file")
	if strings.HasSuffix(name, ".html") {
		httpx.WriteError(w, fmt.Errorf("sign-in asset %q: %w", name, data.ErrNotFound))
		return
	}
	body, err := web.LoginFiles.ReadFile(name)
	if err != nil {
		httpx.WriteError(w, fmt.Errorf("sign-in asset %q: %w", name, data.ErrNotFound))
		return
	}
	web.WriteAsset(w, name, body)
}
