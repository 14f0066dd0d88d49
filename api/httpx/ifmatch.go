package httpx

import (
	"fmt"
	"strings"
)

// IfMatch reads an If-Match header as RFC 9110 §13.1.1 defines it: "*", or
// a comma-separated list of entity tags, each "opaque" or W/"opaque". It
// returns the opaque parts of the strong tags only, because If-Match
// compares strongly and a weak tag never matches. A well-formed list that
// names nothing of this server is not an error: the caller answers 412
// for it, as the standard wants. Only a header that is not an entity-tag
// list at all is a request error (400).
func IfMatch(h string) (strong []string, any bool, err error) {
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
