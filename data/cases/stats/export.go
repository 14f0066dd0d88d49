package stats

import (
	"archive/zip"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Sheet is a table for export: a header row and rows of cells. A cell is
// a string, an int, a float64, a *float64 (nil is an empty cell) or nil.
type Sheet struct {
	Name   string
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

// WriteCSV writes the sheet as RFC 4180 CSV with a UTF-8 byte order mark,
// so that spreadsheet programs read the Chinese names correctly.
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

// WriteXLSX writes the sheet as a minimal Office Open XML workbook (ECMA-
// 376: content types, package and workbook relationships, one worksheet
// with inline strings and numbers, a bold header style). Numbers stay
// numbers, so a spreadsheet can sort and sum them.
func WriteXLSX(w io.Writer, s *Sheet, created time.Time) error {
	zw := zip.NewWriter(w)
	file := func(name, body string) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: created})
		if err != nil {
			return err
		}
		_, err = io.WriteString(fw, body)
		return err
	}
	name := s.Name
	if name == "" {
		name = "Sheet1"
	}
	if len([]rune(name)) > 31 {
		name = string([]rune(name)[:31])
	}
	var sheet strings.Builder
	sheet.WriteString(xml.Header)
	sheet.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	writeRow := func(r int, cells []any, style int) {
		fmt.Fprintf(&sheet, `<row r="%d">`, r)
		for c, v := range cells {
			ref := colName(c) + strconv.Itoa(r)
			st := ""
			if style > 0 {
				st = fmt.Sprintf(` s="%d"`, style)
			}
			switch v := v.(type) {
			case nil:
				continue
			case *float64:
				if v == nil {
					continue
				}
				fmt.Fprintf(&sheet, `<c r="%s"%s><v>%s</v></c>`, ref, st, strconv.FormatFloat(*v, 'g', -1, 64))
			case int, float64:
				fmt.Fprintf(&sheet, `<c r="%s"%s><v>%s</v></c>`, ref, st, cellText(v))
			default:
				fmt.Fprintf(&sheet, `<c r="%s" t="inlineStr"%s><is><t xml:space="preserve">`, ref, st)
				_ = xml.EscapeText(&sheet, []byte(xmlSafe(cellText(v))))
				sheet.WriteString(`</t></is></c>`)
			}
		}
		sheet.WriteString(`</row>`)
	}
	hdr := make([]any, len(s.Header))
	for i, h := range s.Header {
		hdr[i] = h
	}
	writeRow(1, hdr, 1)
	for i, row := range s.Rows {
		writeRow(i+2, row, 0)
	}
	sheet.WriteString(`</sheetData></worksheet>`)
	var wb strings.Builder
	wb.WriteString(xml.Header)
	wb.WriteString(`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="`)
	_ = xml.EscapeText(&wb, []byte(xmlSafe(name)))
	wb.WriteString(`" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", xml.Header + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
			`</Types>`},
		{"_rels/.rels", xml.Header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
			`</Relationships>`},
		{"xl/_rels/workbook.xml.rels", xml.Header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
			`</Relationships>`},
		{"xl/workbook.xml", wb.String()},
		{"xl/styles.xml", xml.Header + `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
			`<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>` +
			`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
			`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
			`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
			`<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
			`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>` +
			`</styleSheet>`},
		{"xl/worksheets/sheet1.xml", sheet.String()},
	}
	for _, p := range parts {
		if err := file(p.name, p.body); err != nil {
			return fmt.Errorf("write xlsx: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
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

// Columns are the export columns of a statistics row, in order.
var Columns = []string{"key", "name", "reported", "registered", "not_registered", "dispatched", "due_for_closure",
	"closed", "closed_on_time", "handled", "handled_on_time", "due_for_handling", "reworked", "returned", "returned_cases", "overdue",
	"closure_rate", "on_time_closure_rate", "handling_rate", "on_time_handling_rate", "rework_rate",
	"avg_handling_hours", "score", "grade", "rank", "registered_change", "closure_rate_change"}

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
		s.Rows = append(s.Rows, []any{r.Key, nm, r.Reported, r.Registered, r.NotRegistered, r.Dispatched, r.DueForClosure,
			r.Closed, r.ClosedOnTime, r.Handled, r.HandledOnTime, r.DueForHandling, r.Reworked, r.Returned, r.ReturnedCases, r.Overdue,
			r.ClosureRate, r.OnTimeClosureRate, r.HandlingRate, r.OnTimeHandlingRate, r.ReworkRate, r.AvgHandlingHours,
			r.Score, r.Grade, rank, regCh, crCh})
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
