// Package styles holds citygrid's MapLibre style documents, embedded in
// the binary, and the glyph ranges their labels use. A style names its
// server as @BASE@; Style fills in the absolute base URL of the request,
// since MapLibre needs absolute source and glyph URLs.
package styles

import (
	"bytes"
	"embed"
	"fmt"
	"sort"
	"strings"

	"citygrid/data"
)

//go:embed *.json
var files embed.FS

// Names lists the styles.
func Names() []string {
	ents, _ := files.ReadDir(".")
	var out []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".json"); ok && n != "package" && n != "package-lock" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Style returns the style document name with its URLs pointing at base
// (scheme and host, no trailing slash). An unknown name fails with an
// error wrapping data.ErrNotFound.
func Style(name, base string) ([]byte, error) {
	for _, n := range Names() {
		if n == name {
			b, err := files.ReadFile(name + ".json")
			if err != nil {
				return nil, fmt.Errorf("style %s: %w", name, err)
			}
			return bytes.ReplaceAll(b, []byte("@BASE@"), []byte(strings.TrimSuffix(base, "/"))), nil
		}
	}
	return nil, fmt.Errorf("style %q: %w", name, data.ErrNotFound)
}
