package httpx

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"citygrid/data"
)

// EntityTags reads an If-Match header as RFC 9110 §13.1.1 defines it: "*", or
// a comma-separated list of entity tags, each "opaque" or W/"opaque". It
// returns the opaque parts of the strong tags only, because If-Match
// compares strongly and a weak tag never matches. A well-formed list that
// names nothing of this server is not an error: the caller answers 412
// for it, as the standard wants. Only a header that is not an entity-tag
// list at all is a request error (400).
func EntityTags(h string) (strong []string, any bool, err error) {
	h = strings.TrimSpace(h)
	if h == "*" {
		return nil, true, nil
	}
	rest := h
	for {
		rest = strings.TrimLeft(rest, " \t")
		weak := strings.HasPrefix(rest, "W/")
		if weak {
			rest = rest[2:]
		}
		if !strings.HasPrefix(rest, `"`) {
			return nil, false, BadRequest("If-Match", fmt.Sprintf("%q is not a list of entity tags (\"tag\", W/\"tag\" or *)", h))
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return nil, false, BadRequest("If-Match", fmt.Sprintf("%q has an unterminated entity tag", h))
		}
		opaque := rest[1 : 1+end]
		for _, c := range []byte(opaque) {
			// etagc = %x21 / %x23-7E / obs-text
			if c < 0x21 || c == 0x7f {
				return nil, false, BadRequest("If-Match", fmt.Sprintf("%q holds a character entity tags may not", h))
			}
		}
		if !weak {
			strong = append(strong, opaque)
		}
		rest = strings.TrimLeft(rest[2+end:], " \t")
		if rest == "" {
			return strong, false, nil
		}
		if rest[0] != ',' {
			return nil, false, BadRequest("If-Match", fmt.Sprintf("%q: entity tags must be separated by commas", h))
		}
		rest = rest[1:]
	}
}

// IfMatch reads the version a write of feature code expects from If-Match:
// strong "<code>-v<n>" tags (data.ETag), or * for any version. It is
// required: without it the error wraps ErrPreconditionRequired (428). A
// well-formed list naming no version of this feature (another feature's
// tag, a weak one, one this server never made) never matches: -1, which
// the store answers 412.
func IfMatch(r *http.Request, code string) (int64, error) {
	return IfMatchCurrent(r, code, nil)
}

// IfMatchCurrent is IfMatch for a list that may name several versions of
// the feature: current, when given, reports the stored version, and the
// tag naming it is chosen, so that the store's check is the list's.
// Without current, or when no tag names it, such a list never matches.
func IfMatchCurrent(r *http.Request, code string, current func() (int64, bool)) (int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return 0, fmt.Errorf("If-Match: required: send the ETag of the version you edited (or * to overwrite whatever is stored): %w", ErrPreconditionRequired)
	}
	tags, any, err := EntityTags(h)
	if err != nil {
		return 0, err
	}
	if any {
		return data.AnyVersion, nil
	}
	var versions []int64
	for _, tag := range tags {
		i := strings.LastIndex(tag, "-v")
		if i < 0 || tag[:i] != code {
			continue
		}
		if n, err := strconv.ParseInt(tag[i+2:], 10, 64); err == nil && n > 0 {
			versions = append(versions, n)
		}
	}
	switch {
	case len(versions) == 1:
		return versions[0], nil
	case len(versions) > 1 && current != nil:
		if v, ok := current(); ok && slices.Contains(versions, v) {
			return v, nil
		}
	}
	return -1, nil
}
