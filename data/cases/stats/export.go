package stats

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Sheet is a table for export: a header row and rows of cells. A cell is
// a string, an int, a float64, a *float64 (nil is an empty cell) or nil.
type Sheet struct {
	Name string
	// Title is the XLSX title row (default: a Chinese name of the table).
	Title  string
	Header []string
	Rows   [][]any
}

// CellText is the text of a cell as CSV writes it.
func CellText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case *float64:
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// neutralise keeps a spreadsheet from reading a text cell as a formula:
// a cell that begins with = + - @, a tab or a carriage return gets a
// leading apostrophe (OWASP's advice for CSV injection). Numbers are
// written as numbers and never pass through here.
func neutralise(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteCSV writes the sheet as RFC 4180 CSV with a UTF-8 byte order mark,
// so that spreadsheet programs read the Chinese names correctly. Text
// cells that a spreadsheet would run as a formula are neutralised.
func WriteCSV(w io.Writer, s *Sheet) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(s.Header); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	rec := make([]string, len(s.Header))
	for _, row := range s.Rows {
		for i := range rec {
			rec[i] = ""
			if i < len(row) {
				rec[i] = CellText(row[i])
				if _, text := row[i].(string); text {
					rec[i] = neutralise(rec[i])
				}
			}
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// Heading is the sheet's title row: Title, else a Chinese name of its
// table.
func (s *Sheet) Heading() string {
	if s.Title != "" {
		return s.Title
	}
	if t, ok := tableTitles[s.Name]; ok {
		return t
	}
	return "评价统计：" + s.Name
}

// Columns are the export columns of a statistics row, in order.
var Columns = []string{"key", "name", "reported", "registered", "not_registered", "dispatched", "due_for_closure",
	"closed", "closed_on_time", "handled", "handled_on_time", "due_for_handling", "reworked", "returned", "returned_cases", "overdue",
	"closure_rate", "on_time_closure_rate", "handling_rate", "on_time_handling_rate", "rework_rate",
	"avg_handling_hours", "score", "grade", "rank", "registered_change", "closure_rate_change",
	"urged", "followed_up", "satisfied", "satisfaction_rate", "appeals_accepted", "class", "class_rank"}

// SheetOf lays a result out for export; name gives a key's display name.
func SheetOf(res *Result, name func(string) string) *Sheet {
	s := &Sheet{Name: res.Group, Header: Columns}
	add := func(r *Row) {
		nm := ""
		if name != nil {
			nm = name(r.Key)
		}
		var regCh any
		var crCh *float64
		if r.Change != nil {
			regCh, crCh = r.Change.Registered, r.Change.ClosureRate
		}
		var rank any
		if r.Rank > 0 {
			rank = r.Rank
		}
		var classRank any
		if r.ClassRank > 0 {
			classRank = r.ClassRank
		}
		s.Rows = append(s.Rows, []any{r.Key, nm, r.Reported, r.Registered, r.NotRegistered, r.Dispatched, r.DueForClosure,
			r.Closed, r.ClosedOnTime, r.Handled, r.HandledOnTime, r.DueForHandling, r.Reworked, r.Returned, r.ReturnedCases, r.Overdue,
			r.ClosureRate, r.OnTimeClosureRate, r.HandlingRate, r.OnTimeHandlingRate, r.ReworkRate, r.AvgHandlingHours,
			r.Score, r.Grade, rank, regCh, crCh,
			r.Urged, r.FollowedUp, r.Satisfied, r.SatisfactionRate, r.AppealsAccepted, r.Class, classRank})
	}
	for i := range res.Rows {
		add(&res.Rows[i])
	}
	t := res.Total
	add(&t)
	return s
}

// PostColumns are the export columns of a post row, in order.
var PostColumns = []string{"post", "user", "reports", "valid_reports", "missed", "verified", "verified_on_time",
	"checked", "checked_on_time", "accepted", "verify_sent", "verify_sent_on_time", "check_sent", "check_sent_on_time",
	"registered", "registered_on_time", "registered_cancelled", "closed", "closed_on_time",
	"dispatched", "dispatched_on_time", "dispatched_returned",
	"valid_report_rate", "missed_report_rate", "on_time_verify_rate", "on_time_check_rate",
	"verify_sent_on_time_rate", "check_sent_on_time_rate", "on_time_register_rate", "accurate_register_rate",
	"on_time_close_rate", "on_time_dispatch_rate", "accurate_dispatch_rate",
	"score", "grade", "rank", "previous_score", "score_change"}

// PostSheetOf lays post statistics out for export: the people of each
// post, then one total row per post (user "total").
func PostSheetOf(res *PostResult) *Sheet {
	s := &Sheet{Name: "post", Header: PostColumns}
	add := func(r *PostRow, user string) {
		var rank any
		if r.Rank > 0 {
			rank = r.Rank
		}
		s.Rows = append(s.Rows, []any{string(r.Post), user, r.Reports, r.ValidReports, r.Missed, r.Verified, r.VerifiedOnTime,
			r.Checked, r.CheckedOnTime, r.Accepted, r.VerifySent, r.VerifySentOnTime, r.CheckSent, r.CheckSentOnTime,
			r.Registered, r.RegisteredOnTime, r.RegisteredCancelled, r.Closed, r.ClosedOnTime,
			r.Dispatched, r.DispatchedOnTime, r.DispatchedReturned,
			r.ValidReportRate, r.MissedReportRate, r.OnTimeVerifyRate, r.OnTimeCheckRate,
			r.VerifySentOnTimeRate, r.CheckSentOnTimeRate, r.OnTimeRegisterRate, r.AccurateRegisterRate,
			r.OnTimeCloseRate, r.OnTimeDispatchRate, r.AccurateDispatchRate,
			r.Score, r.Grade, rank, r.PreviousScore, r.ScoreChange})
	}
	for i := range res.Rows {
		add(&res.Rows[i], res.Rows[i].User)
	}
	for i := range res.Totals {
		add(&res.Totals[i], "total")
	}
	return s
}
