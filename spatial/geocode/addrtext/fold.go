package addrtext

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
)

// hanFold maps traditional and variant Chinese characters to their
// simplified forms, one character to one character. It is read from
// OpenCC's dictionaries (the Taiwan and Hong Kong variant tables, then the
// traditional-to-simplified characters) once per process: a table indexed
// by code point over the CJK blocks where typed addresses live, so folding
// a query costs an array load per character.
type hanFold struct {
	lo, hi rune   // the table covers [lo, hi]
	tab    []rune // 0: the character folds to itself
	rest   map[rune]rune
}

// fold returns the simplified form of r, or r.
func (h *hanFold) fold(r rune) rune {
	if r >= h.lo && r <= h.hi {
		if t := h.tab[r-h.lo]; t != 0 {
			return t
		}
		return r
	}
	if t, ok := h.rest[r]; ok {
		return t
	}
	return r
}

// hanRanges are the blocks folded: CJK Unified Ideographs with Extension
// A, the compatibility ideographs, and Extension B (rare forms people
// paste from old documents).
var hanRanges = [][2]rune{{0x3400, 0x9FFF}, {0xF900, 0xFAFF}, {0x20000, 0x2A6DF}}

// loadHanFold builds the table with OpenCC's conversions t2s, tw2s and
// hk2s: a character takes the first conversion that changes it into a
// single other character. Phrase entries play no part: the table folds
// characters, and the same table folds the index and the queries.
func loadHanFold() (*hanFold, error) {
	h := &hanFold{lo: hanRanges[0][0], hi: hanRanges[0][1], rest: map[rune]rune{}}
	h.tab = make([]rune, h.hi-h.lo+1)
	var b strings.Builder
	var chars []rune
	for _, rg := range hanRanges {
		for r := rg[0]; r <= rg[1]; r++ {
			chars = append(chars, r)
			b.WriteRune(r)
			b.WriteByte('\n')
		}
	}
	in := b.String()
	done := make(map[rune]bool)
	for _, conv := range []string{"t2s", "tw2s", "hk2s"} {
		cc, err := opencc.New(conv)
		if err != nil {
			return nil, fmt.Errorf("addrtext: OpenCC %s: %w", conv, err)
		}
		out, err := cc.Convert(in)
		if err != nil {
			return nil, fmt.Errorf("addrtext: OpenCC %s: %w", conv, err)
		}
		lines := strings.Split(out, "\n")
		if len(lines) < len(chars) {
			return nil, fmt.Errorf("addrtext: OpenCC %s gave %d lines for %d characters", conv, len(lines), len(chars))
		}
		for i, r := range chars {
			s := lines[i]
			t, n := utf8.DecodeRuneInString(s)
			if done[r] || n != len(s) || t == r || t == utf8.RuneError {
				continue
			}
			done[r] = true
			if r >= h.lo && r <= h.hi {
				h.tab[r-h.lo] = t
			} else {
				h.rest[r] = t
			}
		}
	}
	// A character folds to a character that folds no further: a chain
	// (裡 → 裏 → 里) ends where the simplified form stands.
	for range 3 {
		for i, t := range h.tab {
			if t != 0 {
				if u := h.fold(t); u != t {
					h.tab[i] = u
				}
			}
		}
	}
	return h, nil
}

// hanFolder is the process's fold table, loaded on first use.
var hanFolder = sync.OnceValues(loadHanFold)

// Ready loads the fold table and reports whether OpenCC's dictionaries
// could be read; until they can, characters fold to themselves.
func Ready() error {
	_, err := hanFolder()
	return err
}

// foldHan folds one character with the process's table (characters pass
// unchanged if the table could not be loaded: Ready reports that error).
func foldHan(r rune) rune {
	h, err := hanFolder()
	if err != nil {
		return r
	}
	return h.fold(r)
}
