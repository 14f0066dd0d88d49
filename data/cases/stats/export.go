package stats

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
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

func cellText(v any) string {
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
				rec[i] = cellText(row[i])
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

// WriteXLSX writes the sheet as an Excel workbook with excelize: a title
// row, a bold header row frozen above the data, column widths fitted to
// the text, rates shown as percentages and numbers kept as numbers (so a
// spreadsheet can sort and sum them), and one bar chart of the table's
// headline rate per row. Leaders read these reports in Excel or WPS.
func WriteXLSX(w io.Writer, s *Sheet, created time.Time) error {
	f := excelize.NewFile()
	defer f.Close()
	name := sheetName(s.Name)
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	if err := fillSheet(f, name, s); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	f.SetDocProps(&excelize.DocProperties{Creator: "citygrid", Title: s.title(), Created: created.UTC().Format(time.RFC3339),
		Modified: created.UTC().Format(time.RFC3339)})
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// xlsxHeaderRow is the row of the column labels; row 1 holds the title.
const xlsxHeaderRow = 2

func fillSheet(f *excelize.File, name string, s *Sheet) error {
	ncol := max(len(s.Header), 1)
	last := colName(ncol - 1)
	titleStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	if err != nil {
		return err
	}
	headStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		Border:    []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}}})
	if err != nil {
		return err
	}
	pctStyle, err := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return err
	}
	if err := f.SetCellStr(name, "A1", s.title()); err != nil {
		return err
	}
	if ncol > 1 {
		if err := f.MergeCell(name, "A1", last+"1"); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(name, "A1", last+"1", titleStyle); err != nil {
		return err
	}
	if err := f.SetRowHeight(name, 1, 24); err != nil {
		return err
	}
	widths := make([]int, ncol)
	for c, h := range s.Header {
		label := ColumnLabel(h)
		widths[c] = textWidth(label)
		if err := f.SetCellStr(name, cellRef(c, xlsxHeaderRow), label); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(name, "A2", cellRef(ncol-1, xlsxHeaderRow), headStyle); err != nil {
		return err
	}
	for i, row := range s.Rows {
		r := xlsxHeaderRow + 1 + i
		for c, v := range row {
			if c >= ncol {
				break
			}
			if err := setCell(f, name, cellRef(c, r), v); err != nil {
				return err
			}
			widths[c] = max(widths[c], textWidth(cellText(v)))
		}
	}
	lastRow := xlsxHeaderRow + len(s.Rows)
	for c, h := range s.Header {
		if isRate(h) && len(s.Rows) > 0 {
			if err := f.SetCellStyle(name, cellRef(c, xlsxHeaderRow+1), cellRef(c, lastRow), pctStyle); err != nil {
				return err
			}
		}
		if err := f.SetColWidth(name, colName(c), colName(c), float64(min(max(widths[c], 6), 40))+2); err != nil {
			return err
		}
	}
	if err := f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: xlsxHeaderRow, TopLeftCell: "A3", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return addRateChart(f, name, s, lastRow)
}

// addRateChart draws the table's headline rate (the first of
// chartColumns it has) per row as a bar chart beside the table. A table
// without such a column or without rows gets no chart.
func addRateChart(f *excelize.File, name string, s *Sheet, lastRow int) error {
	col := -1
	for _, want := range chartColumns {
		if i := slices.Index(s.Header, want); i >= 0 {
			col = i
			break
		}
	}
	if col < 0 || len(s.Rows) == 0 {
		return nil
	}
	cat := 0
	if i := slices.Index(s.Header, "name"); i >= 0 {
		cat = i
	}
	ref := func(c int) string {
		return fmt.Sprintf("'%s'!$%s$%d:$%s$%d", name, colName(c), xlsxHeaderRow+1, colName(c), lastRow)
	}
	label := ColumnLabel(s.Header[col])
	return f.AddChart(name, cellRef(len(s.Header)+1, xlsxHeaderRow), &excelize.Chart{
		Type:      excelize.Bar,
		Series:    []excelize.ChartSeries{{Name: fmt.Sprintf("'%s'!$%s$%d", name, colName(col), xlsxHeaderRow), Categories: ref(cat), Values: ref(col)}},
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: label}}},
		Legend:    excelize.ChartLegend{Position: "none"},
		XAxis:     excelize.ChartAxis{},
		YAxis:     excelize.ChartAxis{NumFmt: excelize.ChartNumFmt{CustomNumFmt: "0%"}},
		Dimension: excelize.ChartDimension{Width: 640, Height: uint(max(320, 18*len(s.Rows)+80))},
	})
}

// chartColumns are the rates a report's chart shows, most wanted first:
// 按期结案率 for area and unit tables, the score for post tables.
var chartColumns = []string{"on_time_closure_rate", "closure_rate", "score"}

func setCell(f *excelize.File, name, ref string, v any) error {
	switch v := v.(type) {
	case nil:
		return nil
	case *float64:
		if v == nil {
			return nil
		}
		return f.SetCellFloat(name, ref, *v, -1, 64)
	case float64:
		return f.SetCellFloat(name, ref, v, -1, 64)
	case int:
		return f.SetCellInt(name, ref, int64(v))
	case string:
		return f.SetCellStr(name, ref, xmlSafe(v))
	}
	return f.SetCellStr(name, ref, xmlSafe(cellText(v)))
}

func cellRef(col, row int) string { return colName(col) + strconv.Itoa(row) }

// sheetName is a worksheet name Excel accepts: at most 31 characters,
// none of : \ / ? * [ ].
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '_'
		}
		return r
	}, s)
	if s == "" {
		s = "Sheet1"
	}
	if r := []rune(s); len(r) > 31 {
		s = string(r[:31])
	}
	return s
}

// textWidth is a column width in Excel's character units: a CJK
// character takes two.
func textWidth(s string) int {
	w := 0
	for _, r := range s {
		if r >= 0x2E80 {
			w += 2
		} else {
			w++
		}
	}
	return w
}

func isRate(col string) bool { return strings.HasSuffix(col, "_rate") }

// title is the sheet's title row: Title, else a Chinese name of its table.
func (s *Sheet) title() string {
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

// colName is the spreadsheet column name of a 0-based index: A … Z, AA ….
func colName(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// xmlSafe drops characters XML 1.0 cannot carry.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || r >= 0x10000 {
			return r
		}
		return -1
	}, s)
}
