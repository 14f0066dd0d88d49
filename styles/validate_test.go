package styles

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// nodeTools finds node and test/browser's installed packages; without them
// the test is skipped, except on CI (CI=true), where it fails.
func nodeTools(t *testing.T) (node, dir string) {
	t.Helper()
	dir, _ = filepath.Abs(filepath.Join("..", "test", "browser"))
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", "@maplibre", "maplibre-gl-style-spec"))
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node or test/browser/node_modules missing (npm ci --prefix test/browser): %v", err)
		}
		t.Skipf("node or test/browser/node_modules missing (npm ci --prefix test/browser): %v", err)
	}
	return node, dir
}

func validate(t *testing.T, node, dir string, style []byte) (string, bool) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "style.json")
	if err := os.WriteFile(f, style, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(dir, "validate-style.mjs"), f)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

func TestStylesPassTheMapLibreValidator(t *testing.T) {
	node, dir := nodeTools(t)
	for _, name := range Names() {
		b, err := Style(name, "http://127.0.0.1:8080")
		if err != nil {
			t.Fatal(err)
		}
		if out, ok := validate(t, node, dir, b); !ok {
			t.Errorf("style %s is invalid:\n%s", name, out)
		}
	}
	// The validator must be able to say no, or the check above proves
	// nothing.
	b, _ := Style("default", "http://127.0.0.1:8080")
	broken := strings.Replace(string(b), `"type": "circle"`, `"type": "circles"`, 1)
	if out, ok := validate(t, node, dir, []byte(broken)); ok {
		t.Errorf("a layer of type circles passed validation:\n%s", out)
	}
}
