package signin

import (
	"fmt"
	"net/http"
	"strings"

	"citygrid/api/httpx"
	"citygrid/api/web"
	"citygrid/data"

	"github.com/go-chi/chi/v5"
)

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
