package cql2

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxDepth bounds nesting, so a hostile filter cannot exhaust the stack.
const maxDepth = 100

// maxFilterBytes bounds a filter's length; a query string filter is far
// shorter, and evaluation time grows with it.
const maxFilterBytes = 64 << 10

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokQuoted // "double quoted" identifier
	tokString
	tokNumber
	tokPunct
)

type token struct {
	kind tokKind
	text string // identifier, unquoted string, number or punctuation
	pos  int
}

// lexer splits CQL2-Text into tokens on demand.
type lexer struct {
	src string
	off int
}

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }

func isIdentPart(r rune) bool {
	return r == '_' || r == '.' || r == ':' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func (l *lexer) next() (token, error) {
	for l.off < len(l.src) {
		r, n := utf8.DecodeRuneInString(l.src[l.off:])
		if !unicode.IsSpace(r) {
			break
		}
		l.off += n
	}
	start := l.off
	if l.off >= len(l.src) {
		return token{kind: tokEOF, pos: start}, nil
	}
	c := l.src[l.off]
	switch {
	case c == '\'':
		return l.quoted('\'', tokString)
	case c == '"':
		return l.quoted('"', tokQuoted)
	case c >= '0' && c <= '9' || c == '.' && l.off+1 < len(l.src) && l.src[l.off+1] >= '0' && l.src[l.off+1] <= '9':
		return l.number()
	case c == '<' || c == '>':
		l.off++
		if l.off < len(l.src) && (l.src[l.off] == '=' || c == '<' && l.src[l.off] == '>') {
			l.off++
		}
		return token{tokPunct, l.src[start:l.off], start}, nil
	case strings.IndexByte("(),=+-*/", c) >= 0:
		l.off++
		return token{tokPunct, l.src[start:l.off], start}, nil
	}
	r, n := utf8.DecodeRuneInString(l.src[l.off:])
	if !isIdentStart(r) {
		return token{}, &Error{Pos: start, Msg: "unexpected character " + strconv.QuoteRune(r)}
	}
	l.off += n
	for l.off < len(l.src) {
		r, n := utf8.DecodeRuneInString(l.src[l.off:])
		if !isIdentPart(r) {
			break
		}
		l.off += n
	}
	return token{tokIdent, l.src[start:l.off], start}, nil
}

// quoted reads a string or a quoted identifier; the quote doubles to
// stand for itself.
func (l *lexer) quoted(q byte, kind tokKind) (token, error) {
	start := l.off
	l.off++
	var b strings.Builder
	for l.off < len(l.src) {
		c := l.src[l.off]
		l.off++
		if c != q {
			b.WriteByte(c)
			continue
		}
		if l.off < len(l.src) && l.src[l.off] == q {
			b.WriteByte(q)
			l.off++
			continue
		}
		if !utf8.ValidString(b.String()) {
			return token{}, &Error{Pos: start, Msg: "string is not valid UTF-8"}
		}
		return token{kind, b.String(), start}, nil
	}
	return token{}, &Error{Pos: start, Msg: "unterminated " + map[tokKind]string{tokString: "string", tokQuoted: "quoted identifier"}[kind]}
}

func (l *lexer) number() (token, error) {
	start := l.off
	digits := func() {
		for l.off < len(l.src) && l.src[l.off] >= '0' && l.src[l.off] <= '9' {
			l.off++
		}
	}
	digits()
	if l.off < len(l.src) && l.src[l.off] == '.' {
		l.off++
		digits()
	}
	if l.off < len(l.src) && (l.src[l.off] == 'e' || l.src[l.off] == 'E') {
		l.off++
		if l.off < len(l.src) && (l.src[l.off] == '+' || l.src[l.off] == '-') {
			l.off++
		}
		digits()
	}
	return token{tokNumber, l.src[start:l.off], start}, nil
}

// textParser is a recursive-descent parser over the lexer with one token
// of look-ahead.
type textParser struct {
	lx    lexer
	tok   token
	depth int
}

// ParseText parses a CQL2-Text filter.
func ParseText(s string) (*Expr, error) {
	if len(s) > maxFilterBytes {
		return nil, &Error{Pos: 0, Msg: "filter longer than " + strconv.Itoa(maxFilterBytes) + " bytes"}
	}
	if !utf8.ValidString(s) {
		return nil, &Error{Pos: 0, Msg: "filter is not valid UTF-8"}
	}
	p := &textParser{lx: lexer{src: s}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	e, err := p.orExpr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.unexpected("AND, OR or the end of the filter")
	}
	if !e.isBoolean() {
		return nil, errAt(e, "the filter is not a condition (a comparison, predicate or TRUE/FALSE)")
	}
	return e, nil
}

func (p *textParser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *textParser) unexpected(want string) error {
	got := "end of filter"
	if p.tok.kind != tokEOF {
		got = strconv.Quote(p.tok.text)
		if p.tok.kind == tokString {
			got = "string " + got
		}
	}
	return &Error{Pos: p.tok.pos, Msg: "expected " + want + ", found " + got}
}

// keyword reports whether the current token is the keyword kw.
func (p *textParser) keyword(kw string) bool {
	return p.tok.kind == tokIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *textParser) punct(s string) bool { return p.tok.kind == tokPunct && p.tok.text == s }

func (p *textParser) expectPunct(s string) error {
	if !p.punct(s) {
		return p.unexpected(strconv.Quote(s))
	}
	return p.advance()
}

func (p *textParser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return &Error{Pos: p.tok.pos, Msg: "filter nested deeper than " + strconv.Itoa(maxDepth)}
	}
	return nil
}

func (p *textParser) orExpr() (*Expr, error) {
	return p.chain("OR", OpOr, p.andExpr)
}

func (p *textParser) andExpr() (*Expr, error) {
	return p.chain("AND", OpAnd, p.notExpr)
}

// chain parses operands joined by a keyword into one n-ary node.
func (p *textParser) chain(kw string, op Op, operand func() (*Expr, error)) (*Expr, error) {
	first, err := operand()
	if err != nil {
		return nil, err
	}
	if !p.keyword(kw) {
		return first, nil
	}
	out := &Expr{Op: op, Pos: first.Pos, Args: []*Expr{first}}
	for p.keyword(kw) {
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := operand()
		if err != nil {
			return nil, err
		}
		out.Args = append(out.Args, e)
	}
	for _, a := range out.Args {
		if !a.isBoolean() {
			return nil, errAt(a, "%s joins conditions, not values", kw)
		}
	}
	return out, nil
}

func (p *textParser) notExpr() (*Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	if p.keyword("NOT") {
		pos := p.tok.pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		if !e.isBoolean() {
			return nil, errAt(e, "NOT applies to a condition, not a value")
		}
		return &Expr{Op: OpNot, Pos: pos, Args: []*Expr{e}}, nil
	}
	return p.primary()
}

var spatialOps = map[string]Op{
	"S_INTERSECTS": OpIntersects, "S_DISJOINT": OpDisjoint, "S_WITHIN": OpWithin, "S_CONTAINS": OpContains,
}

// unsupportedSpatial are CQL2's other spatial functions, named so that the
// error says they exist but are not offered.
var unsupportedSpatial = map[string]bool{"S_EQUALS": true, "S_TOUCHES": true, "S_OVERLAPS": true, "S_CROSSES": true}

func (p *textParser) primary() (*Expr, error) {
	if p.punct("(") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return e, nil
	}
	if p.tok.kind == tokIdent {
		name := strings.ToUpper(p.tok.text)
		if op, ok := spatialOps[name]; ok {
			return p.spatial(op)
		}
		if unsupportedSpatial[name] || strings.HasPrefix(name, "T_") || strings.HasPrefix(name, "A_") {
			return nil, &Error{Pos: p.tok.pos, Msg: "function " + name + " is not supported (spatial: S_INTERSECTS, S_DISJOINT, S_WITHIN, S_CONTAINS)"}
		}
	}
	left, err := p.scalar()
	if err != nil {
		return nil, err
	}
	return p.predicate(left)
}

func (p *textParser) spatial(op Op) (*Expr, error) {
	pos := p.tok.pos
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	a, err := p.scalar()
	if err != nil {
		return nil, err
	}
	if err := p.expectPunct(","); err != nil {
		return nil, err
	}
	b, err := p.scalar()
	if err != nil {
		return nil, err
	}
	if err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	return &Expr{Op: op, Pos: pos, Args: []*Expr{a, b}}, nil
}

var comparisons = map[string]Op{"=": OpEq, "<>": OpNe, "<": OpLt, "<=": OpLe, ">": OpGt, ">=": OpGe}

// predicate parses what follows a scalar: a comparison, [NOT] LIKE,
// [NOT] BETWEEN, [NOT] IN or IS [NOT] NULL. A boolean literal or property
// may also stand alone.
func (p *textParser) predicate(left *Expr) (*Expr, error) {
	if p.tok.kind == tokPunct {
		if op, ok := comparisons[p.tok.text]; ok {
			if err := p.advance(); err != nil {
				return nil, err
			}
			right, err := p.scalar()
			if err != nil {
				return nil, err
			}
			return &Expr{Op: op, Pos: left.Pos, Args: []*Expr{left, right}}, nil
		}
	}
	negate := false
	notPos := p.tok.pos
	if p.keyword("NOT") {
		negate = true
		if err := p.advance(); err != nil {
			return nil, err
		}
		if !p.keyword("LIKE") && !p.keyword("BETWEEN") && !p.keyword("IN") {
			return nil, p.unexpected("LIKE, BETWEEN or IN after NOT")
		}
	}
	var e *Expr
	var err error
	switch {
	case p.keyword("LIKE"):
		e, err = p.operands(OpLike, left, 1, "")
	case p.keyword("BETWEEN"):
		e, err = p.operands(OpBetween, left, 2, "AND")
	case p.keyword("IN"):
		e, err = p.inList(left)
	case p.keyword("IS"):
		e, err = p.isNull(left)
	default:
		if left.Op == OpLiteral && left.isBoolean() {
			return left, nil
		}
		return nil, p.unexpected("a comparison operator, LIKE, BETWEEN, IN or IS")
	}
	if err != nil {
		return nil, err
	}
	if negate {
		e = &Expr{Op: OpNot, Pos: notPos, Args: []*Expr{e}}
	}
	return e, nil
}

// operands parses n scalars after the operator keyword, separated by sep.
func (p *textParser) operands(op Op, left *Expr, n int, sep string) (*Expr, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	e := &Expr{Op: op, Pos: left.Pos, Args: []*Expr{left}}
	for i := 0; i < n; i++ {
		if i > 0 {
			if !p.keyword(sep) {
				return nil, p.unexpected(sep)
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		a, err := p.scalar()
		if err != nil {
			return nil, err
		}
		e.Args = append(e.Args, a)
	}
	return e, nil
}

func (p *textParser) inList(left *Expr) (*Expr, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	list := &Expr{Op: OpList, Pos: p.tok.pos}
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	for {
		a, err := p.scalar()
		if err != nil {
			return nil, err
		}
		list.Args = append(list.Args, a)
		if !p.punct(",") {
			break
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	return &Expr{Op: OpIn, Pos: left.Pos, Args: []*Expr{left, list}}, nil
}

func (p *textParser) isNull(left *Expr) (*Expr, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	negate := p.keyword("NOT")
	if negate {
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if !p.keyword("NULL") {
		return nil, p.unexpected("NULL")
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	e := &Expr{Op: OpIsNull, Pos: left.Pos, Args: []*Expr{left}}
	if negate {
		e = &Expr{Op: OpNot, Pos: left.Pos, Args: []*Expr{e}}
	}
	return e, nil
}

// reserved are keywords that cannot name a property unless quoted.
var reserved = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "LIKE": true, "BETWEEN": true, "IN": true, "IS": true, "NULL": true,
}

// scalar parses a value: a literal, a property, CASEI(...) or a geometry.
func (p *textParser) scalar() (*Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	t := p.tok
	switch t.kind {
	case tokString:
		return p.leaf(&Expr{Op: OpLiteral, Value: t.text, Pos: t.pos})
	case tokNumber:
		return p.numberLit(t.pos, 1)
	case tokQuoted:
		return p.leaf(&Expr{Op: OpProperty, Name: t.text, Pos: t.pos})
	case tokPunct:
		if t.text == "-" || t.text == "+" {
			if err := p.advance(); err != nil {
				return nil, err
			}
			if p.tok.kind != tokNumber {
				return nil, p.unexpected("a number after " + t.text)
			}
			sign := 1.0
			if t.text == "-" {
				sign = -1
			}
			return p.numberLit(t.pos, sign)
		}
		return nil, p.unexpected("a value or property")
	case tokEOF:
		return nil, p.unexpected("a value or property")
	}
	up := strings.ToUpper(t.text)
	switch up {
	case "TRUE", "FALSE":
		return p.leaf(&Expr{Op: OpLiteral, Value: up == "TRUE", Pos: t.pos})
	case "NULL":
		return p.leaf(&Expr{Op: OpLiteral, Value: nil, Pos: t.pos})
	}
	if reserved[up] {
		return nil, p.unexpected("a value or property")
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if wktKinds[up] && p.keyword("Z") {
		g, err := p.wkt(up, t.pos)
		if err != nil {
			return nil, err
		}
		return &Expr{Op: OpLiteral, Value: g, Pos: t.pos}, nil
	}
	if !p.punct("(") {
		return &Expr{Op: OpProperty, Name: t.text, Pos: t.pos}, nil
	}
	switch up {
	case "DATE", "TIMESTAMP":
		return p.timeLit(t.pos, up == "DATE")
	case "CASEI":
		if err := p.advance(); err != nil {
			return nil, err
		}
		a, err := p.scalar()
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return &Expr{Op: OpCaseI, Pos: t.pos, Args: []*Expr{a}}, nil
	case "BBOX":
		g, err := p.bbox()
		if err != nil {
			return nil, err
		}
		return &Expr{Op: OpLiteral, Value: g, Pos: t.pos}, nil
	}
	if _, ok := wktKinds[up]; ok {
		g, err := p.wkt(up, t.pos)
		if err != nil {
			return nil, err
		}
		return &Expr{Op: OpLiteral, Value: g, Pos: t.pos}, nil
	}
	return nil, &Error{Pos: t.pos, Msg: "function " + strconv.Quote(t.text) + " is not supported"}
}

func (p *textParser) leaf(e *Expr) (*Expr, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	return e, nil
}

func (p *textParser) numberLit(pos int, sign float64) (*Expr, error) {
	v, err := strconv.ParseFloat(p.tok.text, 64)
	if err != nil {
		return nil, &Error{Pos: p.tok.pos, Msg: "bad number " + strconv.Quote(p.tok.text)}
	}
	return p.leaf(&Expr{Op: OpLiteral, Value: sign * v, Pos: pos})
}

func (p *textParser) timeLit(pos int, date bool) (*Expr, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tokString {
		return nil, p.unexpected("a quoted date or timestamp")
	}
	v, err := parseTime(p.tok.text, date)
	if err != nil {
		return nil, &Error{Pos: p.tok.pos, Msg: err.Error()}
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	return &Expr{Op: OpLiteral, Value: v, Pos: pos}, nil
}
