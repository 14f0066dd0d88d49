package maps_test

import (
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"citygrid/api"
	"citygrid/api/city"
	"citygrid/api/internal/routertest"
	"citygrid/api/internal/testcity"
)

// TestAbsoluteURLsTrustForwardedHeadersOnlyFromTrustedProxies: the tile
// URLs of the TileJSON and the Open311 discovery endpoint are built from
// public_url when it is set; else from the Host header, where
// X-Forwarded-Host and -Proto count only when the connection comes from a
// trusted proxy, and the answer then varies by them. httptest requests
// come from 192.0.2.1 with Host example.com.
func TestAbsoluteURLsTrustForwardedHeadersOnlyFromTrustedProxies(t *testing.T) {
	ix, err := testcity.Index()
	if err != nil {
		t.Fatal(err)
	}
	serve := func(cfg api.Config) func(path string, header ...string) (string, string) {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		h, err := routertest.Server(t, city.Config{Index: ix}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return func(path string, header ...string) (string, string) {
			rec := testcity.Get(t, h, path, header...)
			if rec.Code != 200 {
				t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
			}
			return rec.Body.String(), strings.Join(rec.Header().Values("Vary"), ", ")
		}
	}
	forged := []string{"X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "https"}
	proxy := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	elsewhere := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		name      string
		cfg       api.Config
		wantBase  string
		wantVary  bool
		forwarded bool
	}{
		{"no trusted proxy: the forged host is ignored", api.Config{}, "http://example.com/", false, true},
		{"a trusted proxy names the host", api.Config{TrustedProxies: proxy}, "https://evil.example/", true, true},
		{"a client that is not the trusted proxy is ignored", api.Config{TrustedProxies: elsewhere}, "http://example.com/", true, true},
		{"public_url wins over everything", api.Config{TrustedProxies: proxy, PublicURL: "https://grid.example.gov.cn/city/"}, "https://grid.example.gov.cn/city/", false, true},
		{"without forwarded headers the Host is used", api.Config{}, "http://example.com/", false, false},
	}
	for _, c := range cases {
		get := serve(c.cfg)
		var header []string
		if c.forwarded {
			header = forged
		}
		tj, vary := get("/tiles/city.json", header...)
		if !strings.Contains(tj, `"`+c.wantBase+`tiles/`) {
			t.Errorf("%s: TileJSON %s, want tile URLs under %s", c.name, tj, c.wantBase)
		}
		if got := strings.Contains(vary, "X-Forwarded-Host"); got != c.wantVary {
			t.Errorf("%s: Vary %q", c.name, vary)
		}
		disc, _ := get("/open311/v2/discovery.json", header...)
		if !strings.Contains(disc, `"`+c.wantBase+`open311/v2"`) {
			t.Errorf("%s: discovery %s, want %sopen311/v2", c.name, disc, c.wantBase)
		}
	}
}
