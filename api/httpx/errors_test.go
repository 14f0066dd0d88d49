package httpx

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"citygrid/data"
)

// TestInternalErrorsAreLoggedNotShown: a 500 tells the client nothing of
// its cause, and the server's log keeps the cause; a 4xx is not logged.
func TestInternalErrorsAreLoggedNotShown(t *testing.T) {
	var buf bytes.Buffer
	prev := errorLog.Load()
	errorLog.Store(slog.New(slog.NewTextHandler(&buf, nil)))
	defer errorLog.Store(prev)

	rec := httptest.NewRecorder()
	WriteError(rec, fmt.Errorf("read tile 14/1/2: %w", errors.New("disk I/O error at page 77")))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "page 77") || !strings.Contains(rec.Body.String(), "internal error") {
		t.Fatalf("answer %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(buf.String(), "disk I/O error at page 77") {
		t.Fatalf("log %q lacks the cause", buf.String())
	}
	buf.Reset()
	WriteError(httptest.NewRecorder(), fmt.Errorf("component x: %w", data.ErrNotFound))
	if buf.Len() != 0 {
		t.Fatalf("a 404 was logged: %q", buf.String())
	}
}
