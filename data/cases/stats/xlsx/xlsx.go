// Package xlsx writes statistics sheets as Excel workbooks with excelize.
// It is apart from package stats so that what builds statistics (the case
// board, the running city) does not link the spreadsheet library and its
// dependencies.
package xlsx

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"citygrid/data/cases/stats"

	"github.com/xuri/excelize/v2"
)

// Write writes the sheet as an Excel workbook with excelize: a title
// row, a bold header row frozen above the data, column widths fitted to
// the text, rates shown as percentages and numbers kept as numbers (so a
// spreadsheet can sort and sum them), and one bar chart of the table's
// headline rate per row. Leaders read these reports in Excel or WPS.
func Write(w io.Writer, s *stats.Sheet, created time.Time) error {
	f := excelize.NewFile()
	defer f.Close()
	name := sheetName(s.Name)
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	if err := fillSheet(f, name, s); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	f.SetDocProps(&excelize.DocProperties{Creator: "citygrid", Title: s.Heading(), Created: created.UTC().Format(time.RFC3339),
		Modified: created.UTC().Format(time.RFC3339)})
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// xlsxHeaderRow is the row of the column labels; row 1 holds the title.
const xlsxHeaderRow = 2

func fillSheet(f *excelize.File, name string, s *stats.Sheet) error {
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
	if err := f.SetCellStr(name, "A1", s.Heading()); err != nil {
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
		label := stats.ColumnLabel(h)
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
			widths[c] = max(widths[c], textWidth(stats.CellText(v)))
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
func addRateChart(f *excelize.File, name string, s *stats.Sheet, lastRow int) error {
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
	label := stats.ColumnLabel(s.Header[col])
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
	return f.SetCellStr(name, ref, xmlSafe(stats.CellText(v)))
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
