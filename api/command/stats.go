package command

import (
	"bytes"
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"citygrid/api/auth"
	"citygrid/api/httpx"
	"citygrid/data/cases"
	"citygrid/data/cases/stats"
	"citygrid/data/cases/stats/xlsx"
)

// statsRow is a statistics row with the display name of its key.
type statsRow struct {
	Name string `json:"name"`
	stats.Row
}

// statsAnswer is the body of GET /api/v1/stats.
type statsAnswer struct {
	Group string     `json:"group"`
	From  time.Time  `json:"from"`
	To    time.Time  `json:"to"`
	AsOf  time.Time  `json:"as_of"`
	Rows  []statsRow `json:"rows"`
	Total stats.Row  `json:"total"`
}

// statsPeriod reads the period: from and to (to exclusive; a bare date
// in to means the end of that day is included: to=2026-03-31 covers March
// 31), or period=day|week|month with date (default today); without any,
// the current month.
func (b *caseBoard) statsPeriod(q url.Values) (from, to, asOf time.Time, err error) {
	asOf = b.Now()
	if s := q.Get("as_of"); s != "" {
		if asOf, err = httpx.ParseDay("as_of", s); err != nil {
			return
		}
	}
	fs, ts, ps := q.Get("from"), q.Get("to"), q.Get("period")
	switch {
	case fs != "" || ts != "":
		if ps != "" {
			return from, to, asOf, httpx.BadRequest("period", "give either period or from and to")
		}
		if fs == "" || ts == "" {
			field := "from"
			if fs != "" {
				field = "to"
			}
			return from, to, asOf, httpx.BadRequest(field, "required with "+map[string]string{"from": "to", "to": "from"}[field])
		}
		if from, err = httpx.ParseDay("from", fs); err != nil {
			return
		}
		if to, err = httpx.ParseDay("to", ts); err != nil {
			return
		}
		if len(ts) == len("2006-01-02") {
			to = to.AddDate(0, 0, 1)
		}
		if !to.After(from) {
			return from, to, asOf, httpx.BadRequest("to", "must be after from")
		}
	default:
		day := asOf.In(commandZone)
		if s := q.Get("date"); s != "" {
			if day, err = httpx.ParseDay("date", s); err != nil {
				return
			}
		}
		y, m, d := day.Date()
		switch ps {
		case "day":
			from = time.Date(y, m, d, 0, 0, 0, 0, commandZone)
			to = from.AddDate(0, 0, 1)
		case "week":
			from = time.Date(y, m, d, 0, 0, 0, 0, commandZone)
			from = from.AddDate(0, 0, -((int(from.Weekday()) + 6) % 7)) // Monday
			to = from.AddDate(0, 0, 7)
		case "month", "":
			from = time.Date(y, m, 1, 0, 0, 0, 0, commandZone)
			to = from.AddDate(0, 1, 0)
		default:
			return from, to, asOf, httpx.BadRequest("period", fmt.Sprintf("%q: want day, week or month", ps))
		}
	}
	if to.Sub(from) > 5*366*24*time.Hour {
		return from, to, asOf, httpx.BadRequest("to", "a period may span at most five years")
	}
	return from, to, asOf, nil
}

// statsFilter reads the drill-down filters: one value per dimension.
func statsFilter(q url.Values) (map[stats.Dim]string, error) {
	f := map[stats.Dim]string{}
	for _, name := range stats.DimNames() {
		if v := q.Get(name); v != "" {
			d, _ := stats.ParseDim(name)
			f[d] = v
		}
	}
	return f, nil
}

func (b *caseBoard) statsQuery(r *http.Request) (stats.Query, time.Time, error) {
	q := r.URL.Query()
	g := q.Get("group")
	if g == "" {
		return stats.Query{}, time.Time{}, httpx.BadRequest("group", "required: one of "+groupNames())
	}
	dim, ok := stats.ParseDim(g)
	if !ok {
		return stats.Query{}, time.Time{}, httpx.BadRequest("group", fmt.Sprintf("%q: want one of %s", g, groupNames()))
	}
	from, to, asOf, err := b.statsPeriod(q)
	if err != nil {
		return stats.Query{}, time.Time{}, err
	}
	f, err := statsFilter(q)
	if err != nil {
		return stats.Query{}, time.Time{}, err
	}
	return stats.Query{Group: dim, From: from, To: to, Now: asOf, Filter: f}, asOf, nil
}

// statsHandler answers GET /api/v1/stats: the indicators per group with
// scores, ranks and the month-over-month change, as JSON, CSV
// (format=csv) or XLSX (format=xlsx).
func (b *caseBoard) statsHandler(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("group") == "post" {
		b.postsHandler(w, r)
		return
	}
	q, asOf, err := b.statsQuery(r)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	format, err := statsFormat(r)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	res, err := b.Stats().Evaluate(q, b.Scoring(), func(d stats.Dim, key string) int { return b.GridsOf(d)[key] })
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	switch format {
	case "csv", "xlsx":
		writeSheet(w, format, stats.SheetOf(res, func(k string) string { return b.Name(q.Group, k) }), res.Group, q.From, q.To, asOf)
		return
	}
	ans := statsAnswer{Group: res.Group, From: res.From, To: res.To, AsOf: asOf, Total: res.Total, Rows: make([]statsRow, len(res.Rows))}
	for i, row := range res.Rows {
		ans.Rows[i] = statsRow{Name: b.Name(q.Group, row.Key), Row: row}
	}
	httpx.WriteJSON(w, http.StatusOK, ans)
}

// topHandler answers GET /api/v1/stats/top: the groups with the most
// registered cases (高发问题: group=category; high-incidence grids:
// group=grid).
func (b *caseBoard) topHandler(w http.ResponseWriter, r *http.Request) {
	q, asOf, err := b.statsQuery(r)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	n, err := httpx.QueryInt(r.URL.Query(), "n", 10, 1, 1000)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	rows, err := b.Stats().Top(q, n)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	ans := statsAnswer{Group: q.Group.String(), From: q.From, To: q.To, AsOf: asOf, Rows: make([]statsRow, len(rows))}
	for i, row := range rows {
		ans.Rows[i] = statsRow{Name: b.Name(q.Group, row.Key), Row: row}
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, ans)
}

// todayAnswer is the command page's summary.
type todayAnswer struct {
	Date          string         `json:"date"`
	AsOf          time.Time      `json:"as_of"`
	Today         stats.Row      `json:"today"`
	Open          int            `json:"open"`
	OverdueNow    int            `json:"overdue_now"`
	OverdueList   []overdueCase  `json:"overdue_list"`
	TopCategories []statsRow     `json:"top_categories"`
	TopGrids      []statsRow     `json:"top_grids"`
	Daily         []stats.Day    `json:"daily"`
	Sources       map[string]int `json:"sources_today"`
	Generation    uint64         `json:"generation"`
}

// overdueCase is one line of the overdue list.
type overdueCase struct {
	ID           int64       `json:"id"`
	Number       string      `json:"number"`
	Category     string      `json:"category"`
	CategoryName string      `json:"category_name"`
	Unit         string      `json:"unit"`
	UnitName     string      `json:"unit_name"`
	State        cases.State `json:"state"`
	DueAt        time.Time   `json:"due_at"`
	OverdueHours float64     `json:"overdue_hours"`
	Lon          float64     `json:"lon"`
	Lat          float64     `json:"lat"`
}

// todayHandler answers GET /api/v1/stats/today: today's counts (China
// Standard Time), open and overdue cases now, the longest-overdue list,
// the top categories and grids of the last 30 days and a 30-day series.
func (b *caseBoard) todayHandler(w http.ResponseWriter, r *http.Request) {
	now := b.Now()
	q := r.URL.Query()
	if s := q.Get("as_of"); s != "" {
		var err error
		if now, err = httpx.ParseDay("as_of", s); err != nil {
			httpx.WriteError(w, err)
			return
		}
	}
	n, err := httpx.QueryInt(q, "n", 10, 1, 100)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	y, m, d := now.In(commandZone).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, commandZone)
	res, err := b.Stats().Compute(stats.Query{Group: stats.DimSource, From: day, To: day.AddDate(0, 0, 1), Now: now})
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	ans := todayAnswer{Date: day.Format("2006-01-02"), AsOf: now, Today: res.Total, Sources: map[string]int{},
		Generation: b.Layer().Generation()}
	for _, row := range res.Rows {
		ans.Sources[row.Key] = row.Reported
	}
	month := stats.Query{From: day.AddDate(0, 0, -29), To: day.AddDate(0, 0, 1), Now: now}
	month.Group = stats.DimCategory
	cats, _ := b.Stats().Top(month, n)
	month.Group = stats.DimGrid
	grids, _ := b.Stats().Top(month, n)
	for _, c := range cats {
		ans.TopCategories = append(ans.TopCategories, statsRow{Name: b.Name(stats.DimCategory, c.Key), Row: c})
	}
	for _, g := range grids {
		ans.TopGrids = append(ans.TopGrids, statsRow{Name: b.Name(stats.DimGrid, g.Key), Row: g})
	}
	ans.Daily = b.Stats().Daily(day.AddDate(0, 0, -29), 30, commandZone)
	ans.Open, ans.OverdueNow, ans.OverdueList = b.openNow(now, 50)
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, ans)
}

// openNow counts the open cases and lists the longest-overdue ones.
func (b *caseBoard) openNow(now time.Time, limit int) (open, overdue int, list []overdueCase) {
	b.OpenCases(func(c *cases.Case) {
		open++
		if c.DueAt == nil || !c.DueAt.Before(now) || c.State == cases.StateSuspended {
			return
		}
		overdue++
		list = append(list, overdueCase{ID: c.ID, Number: c.Number, Category: string(c.Kind) + "/" + c.Category,
			CategoryName: b.Name(stats.DimCategory, string(c.Kind)+"/"+c.Category), Unit: c.Unit,
			UnitName: b.Name(stats.DimUnit, c.Unit), State: c.State, DueAt: *c.DueAt,
			OverdueHours: float64(int(now.Sub(*c.DueAt).Hours()*10)) / 10, Lon: c.Point[0], Lat: c.Point[1]})
	})
	slices.SortFunc(list, func(a, b overdueCase) int {
		if c := a.DueAt.Compare(b.DueAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if len(list) > limit {
		list = list[:limit]
	}
	return open, overdue, list
}

// getScoring answers GET /api/v1/stats/scoring.
func (b *caseBoard) getScoring(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, b.Scoring())
}

// putScoring answers PUT /api/v1/stats/scoring (admin): new weights and
// grade bands, checked, stored in the store's metadata and used at once.
func (b *caseBoard) putScoring(w http.ResponseWriter, r *http.Request) {
	var sc stats.Scoring
	if err := httpx.DecodeJSON(r, &sc); err != nil {
		httpx.WriteError(w, err)
		return
	}
	if err := sc.Validate(); err != nil {
		httpx.WriteError(w, httpx.BadRequest("body", err.Error()))
		return
	}
	if err := b.SaveScoring(r.Context(), sc, auth.PrincipalOf(r).User); err != nil {
		httpx.WriteError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, sc)
}

// groupNames lists the groups GET /api/v1/stats takes.
func groupNames() string { return strings.Join(append(stats.DimNames(), "post"), ", ") }

// statsFormat reads the format parameter: "" (JSON), json, csv or xlsx.
func statsFormat(r *http.Request) (string, error) {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" && format != "xlsx" {
		return "", httpx.BadRequest("format", fmt.Sprintf("%q: want json, csv or xlsx", format))
	}
	return format, nil
}

// writeSheet answers with a sheet as a CSV or XLSX download named after
// the group and the period.
func writeSheet(w http.ResponseWriter, format string, sheet *stats.Sheet, group string, from, to, asOf time.Time) {
	fname := fmt.Sprintf("citygrid-stats-%s-%s-%s", group, from.In(commandZone).Format("20060102"),
		to.Add(-time.Second).In(commandZone).Format("20060102"))
	var buf bytes.Buffer
	var err error
	if format == "csv" {
		err = stats.WriteCSV(&buf, sheet)
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		err = xlsx.Write(&buf, sheet, asOf)
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	}
	if err != nil {
		w.Header().Del("Content-Type")
		httpx.WriteError(w, err)
		return
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, fname, format))
	_, _ = w.Write(buf.Bytes())
}

// postsAnswer is the body of GET /api/v1/stats?group=post.
type postsAnswer struct {
	Group  string          `json:"group"`
	From   time.Time       `json:"from"`
	To     time.Time       `json:"to"`
	AsOf   time.Time       `json:"as_of"`
	Rows   []stats.PostRow `json:"rows"`
	Totals []stats.PostRow `json:"totals"`
}

// postsHandler answers GET /api/v1/stats?group=post: every person's post
// (岗位) counts, rates, composite score, grade and rank, optionally of one
// post (post=inspector|operator|supervisor|dispatcher), for the same
// periods as the other groups, as JSON, CSV or XLSX.
func (b *caseBoard) postsHandler(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, to, asOf, err := b.statsPeriod(q)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	var post stats.Post
	if s := q.Get("post"); s != "" {
		var ok bool
		if post, ok = stats.ParsePost(s); !ok {
			httpx.WriteError(w, httpx.BadRequest("post", fmt.Sprintf("%q: want inspector, operator, supervisor or dispatcher", s)))
			return
		}
	}
	format, err := statsFormat(r)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	res, err := b.Posts().Evaluate(stats.PostQuery{Post: post, From: from, To: to}, b.Scoring())
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if format == "csv" || format == "xlsx" {
		writeSheet(w, format, stats.PostSheetOf(res), "post", from, to, asOf)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, postsAnswer{Group: "post", From: from, To: to, AsOf: asOf, Rows: res.Rows, Totals: res.Totals})
}
