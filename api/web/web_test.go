package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRequireNamesEveryMissingPackageAndTheInstallCommand(t *testing.T) {
	_, err := require("", "", "")
	if err == nil {
		t.Fatal("no error without either package")
	}
	for _, want := range []string{"MapLibre GL JS", "Apache ECharts", "pinyin-pro", "`npm ci --prefix api`", "api/node_modules/echarts/dist"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	_, err = require("/m", "", "/p")
	if err == nil || strings.Contains(err.Error(), "MapLibre") || !strings.Contains(err.Error(), "ECharts") {
		t.Errorf("only ECharts missing: %v", err)
	}
	libs, err := require("/m", "/e", "/p")
	if err != nil || libs != (Libraries{MapLibre: "/m", ECharts: "/e", Pinyin: "/p"}) {
		t.Errorf("both present: %+v %v", libs, err)
	}
}

// The packages are found from any working directory: a server started
// outside the checkout (as `go run` from elsewhere, or a test binary in
// a temporary directory) still finds api/node_modules of its source.
func TestInstalledPackagesAreFoundFromAnyWorkingDirectory(t *testing.T) {
	root := sourceRoot()
	if _, err := os.Stat(filepath.Join(root, maplibreDist, "maplibre-gl.mjs")); err != nil {
		t.Skipf("front-end packages not installed (%s)", InstallCommand)
	}
	t.Chdir(t.TempDir())
	t.Setenv(WebDirEnv, "")
	if got, want := MapLibreDir(), filepath.Join(root, maplibreDist); got != want {
		t.Errorf("MapLibreDir from a temporary directory = %q, want %q", got, want)
	}
	if got, want := EChartsDir(), filepath.Join(root, echartsDist); got != want {
		t.Errorf("EChartsDir from a temporary directory = %q, want %q", got, want)
	}
	// An override that holds the marker wins; one that does not is ignored.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "maplibre-gl.mjs"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(WebDirEnv, other)
	if got := MapLibreDir(); got != other {
		t.Errorf("override: %q, want %q", got, other)
	}
	t.Setenv(WebDirEnv, t.TempDir())
	if got := MapLibreDir(); got != filepath.Join(root, maplibreDist) {
		t.Errorf("override without the file: %q", got)
	}
}

func TestWithNavMarksTheCurrentPage(t *testing.T) {
	got := string(WithNav([]byte("<body><!--NAV--><main></main>"), "report"))
	for _, want := range []string{`href="/" data-page="map">地图</a>`, `data-page="report" class="on" aria-current="page">月度评价</a>`, `href="/app/" data-page="app">工作台</a>`, "<main></main>"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	if strings.Count(got, `class="on"`) != 1 || strings.Contains(got, "<!--NAV-->") {
		t.Errorf("one current entry, no placeholder left: %s", got)
	}
}
