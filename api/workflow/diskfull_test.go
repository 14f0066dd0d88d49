package workflow_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"citygrid/api"
	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/api/internal/apitest"
	"citygrid/api/internal/routertest"
	"citygrid/data"
)

// tinyDisk mounts a tmpfs of size bytes for the test (root only: it is
// skipped elsewhere) and returns its path.
func tinyDisk(t *testing.T, size int) string {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fill writes zeros into dir until the disk is full and returns the file.
func fill(t *testing.T, dir string) string {
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return path
		}
	}
}

// TestFullDiskAnswers503WithRetryAfterAndLeavesNoTemporaryFiles runs the
// write routes on a store and an upload directory on a 4 MiB tmpfs
// filled to the last block: a case report, a case action, a photo and a
// component edit each answer 503 with Retry-After (a case report and a
// photo answered 500), no temporary upload file is left, and once room is
// made the same writes succeed.
func TestFullDiskAnswers503WithRetryAfterAndLeavesNoTemporaryFiles(t *testing.T) {
	dir := tinyDisk(t, 4<<20)
	st, ix := apitest.StoredCity(t, dir)
	h, err := routertest.Server(t, city.Config{Store: st, Index: ix, Dir: dir}, api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: auth.StaticTokens{
		"ins": {User: "insp1", Role: data.RoleInspector},
		"sur": {User: "surv1", Role: data.RoleSurveyor},
		"sup": {User: "boss", Role: data.RoleSupervisor},
	}})
	if err != nil {
		t.Fatal(err)
	}
	report := `{"kind":"event","category":"0101","lon":118.765,"lat":31.995,"description":"x"}`
	m := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "ins", report), 201)
	id := int64(m["id"].(float64))
	photo := smallPNG(t)
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/attachments", id), "ins", photo), 201)
	comp := apitest.Call(t, h, "GET", "/api/v1/components/3201140101000001", "", "")
	etag := comp.Header().Get("ETag")

	filler := fill(t, dir)
	writes := []struct{ name, method, path, token, body, ifMatch string }{
		{"case report", "POST", "/api/v1/cases", "ins", report, ""},
		{"photo", "POST", fmt.Sprintf("/api/v1/cases/%d/attachments", id), "ins", photo, ""},
		{"case action", "POST", fmt.Sprintf("/api/v1/cases/%d/actions/register", id), "sup", "", ""},
		{"component edit", "PATCH", "/api/v1/components/3201140101000001", "sur", `{"properties":{"note":"` + strings.Repeat("满", 900) + `"}}`, etag},
	}
	for _, wr := range writes {
		var header []string
		if wr.ifMatch != "" {
			header = []string{"If-Match", wr.ifMatch}
		}
		rec := apitest.Call(t, h, wr.method, wr.path, wr.token, wr.body, header...)
		if rec.Code != 503 || rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s on a full disk: %d, Retry-After %q: %s", wr.name, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "uploads", "cases"))
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("a temporary upload file is left: %s", e.Name())
		}
	}
	if len(entries) != 1 {
		t.Errorf("%d files in the upload directory, want the one stored photo", len(entries))
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "ins", report), 201)
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/attachments", id), "ins", photo), 201)
}
