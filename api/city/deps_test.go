package city

import (
	"os/exec"
	"strings"
	"testing"
)

// TestTheCityLinksNoHTTP: the running city is built and tested without a
// transport; only the packages above it (api and its areas) speak HTTP. A
// dependency that pulls net/http in (a spreadsheet library, a webhook
// client) belongs behind a port the city is handed.
func TestTheCityLinksNoHTTP(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "citygrid/api/city").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "net/http" {
			t.Fatal("citygrid/api/city depends on net/http; `go list -f '{{.ImportPath}}: {{.Imports}}' -deps citygrid/api/city | grep net/http` names the path")
		}
	}
}
