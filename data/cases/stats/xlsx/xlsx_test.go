package xlsx

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"citygrid/data/cases/stats"

	"github.com/xuri/excelize/v2"
)

func testSheet() *stats.Sheet {
	half := 0.5
	return &stats.Sheet{Name: "unit", Header: []string{"key", "name", "closed", "closure_rate", "note"},
		Rows: [][]any{
			{"A", "市政<养护>&公司", 12, &half, nil},
			{"B", "环卫\x01所", 0, (*float64)(nil), "a,\"b\"\nc"},
		}}
}

func TestColName(t *testing.T) {
	for i, w := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA"} {
		if colName(i) != w {
			t.Errorf("colName(%d) = %s, want %s", i, colName(i), w)
		}
	}
}

// TestWriteXLSX reads the workbook back with excelize and checks what a
// leader sees: the title over the table, Chinese headings frozen above
// the data, every cell with its type, rates formatted as percentages and
// the chart of the headline rate.
func TestWrite(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, testSheet(), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 1 || got[0] != "unit" {
		t.Fatalf("sheets %v, want [unit]", got)
	}
	cell := func(ref string) string {
		v, err := f.GetCellValue("unit", ref, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	want := map[string]string{"A1": "处置单位评价", "A2": "编码", "B2": "名称", "C2": "结案数", "D2": "结案率", "E2": "note",
		"A3": "A", "B3": "市政<养护>&公司", "C3": "12", "D3": "0.5", "E3": "",
		"A4": "B", "B4": "环卫所", "C4": "0", "D4": "", "E4": "a,\"b\"\nc"}
	for ref, w := range want {
		if got := cell(ref); got != w {
			t.Errorf("cell %s = %q, want %q", ref, got, w)
		}
	}
	// Numbers carry no type attribute (OOXML's default, n); text is a
	// shared or inline string.
	for _, ref := range []string{"C3", "D3"} {
		if got, _ := f.GetCellType("unit", ref); got != excelize.CellTypeUnset && got != excelize.CellTypeNumber {
			t.Errorf("cell %s has type %v, want a number", ref, got)
		}
	}
	if got, _ := f.GetCellType("unit", "B3"); got != excelize.CellTypeSharedString && got != excelize.CellTypeInlineString {
		t.Errorf("cell B3 has type %v, want a string", got)
	}
	if got, _ := f.GetCellValue("unit", "D3"); got != "50.00%" {
		t.Errorf("closure rate shows %q, want 50.00%%", got)
	}
	merged, _ := f.GetMergeCells("unit")
	if len(merged) != 1 || merged[0].GetStartAxis() != "A1" || merged[0].GetEndAxis() != "E1" {
		t.Errorf("title cells merged %v, want A1:E1", merged)
	}
	panes, _ := f.GetPanes("unit")
	if !panes.Freeze || panes.YSplit != 2 {
		t.Errorf("panes %+v, want the two top rows frozen", panes)
	}
	if w, _ := f.GetColWidth("unit", "B"); w < 16 {
		t.Errorf("name column width %v, too narrow for 市政<养护>&公司", w)
	}
	zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var chart string
	for _, zf := range zr.File {
		if strings.HasPrefix(zf.Name, "xl/charts/chart") {
			rc, _ := zf.Open()
			body, _ := io.ReadAll(rc)
			rc.Close()
			chart = string(body)
		}
	}
	if !strings.Contains(chart, "barChart>") || !strings.Contains(chart, "$D$3:$D$4") || !strings.Contains(chart, "$B$3:$B$4") {
		t.Errorf("no bar chart of the closure rate by name in the workbook: %.300s", chart)
	}
}

// TestWriteXLSXWithoutRatesHasNoChart: a table without a rate column has
// nothing to chart and gets no empty chart.
func TestWriteXLSXWithoutRatesHasNoChart(t *testing.T) {
	var b bytes.Buffer
	s := &stats.Sheet{Name: "x", Header: []string{"key", "closed"}, Rows: [][]any{{"A", 1}}}
	if err := Write(&b, s, time.Now()); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte("xl/charts/")) {
		t.Error("a chart was written for a table with no rate")
	}
}

// TestXLSXRendersInLibreOffice converts a report to PDF with headless
// LibreOffice, a reader nobody here wrote: it must open the workbook,
// chart included, and render it without error. CI installs LibreOffice;
// elsewhere the test is skipped when it is missing.
func TestXLSXRendersInLibreOffice(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI needs LibreOffice (Debian libreoffice-calc-nogui) to check the XLSX report")
		}
		t.Skip("no LibreOffice (soffice) on this machine")
	}
	dir := t.TempDir()
	half, third := 0.5, 1.0/3
	s := &stats.Sheet{Name: "street", Header: stats.Columns[:3], Rows: [][]any{{"320114001", "赛虹桥街道", 10}, {"320114002", "雨花新村街道", 7}}}
	s.Header = append(append([]string{}, s.Header...), "on_time_closure_rate")
	s.Rows[0] = append(s.Rows[0], &half)
	s.Rows[1] = append(s.Rows[1], &third)
	var b bytes.Buffer
	if err := Write(&b, s, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "report.xlsx")
	if err := os.WriteFile(src, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, soffice, "--headless", "--norestore", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--convert-to", "pdf", "--outdir", dir, src)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("LibreOffice could not convert the report: %v\n%s", err, out)
	}
	pdf, err := os.ReadFile(filepath.Join(dir, "report.pdf"))
	if err != nil {
		t.Fatalf("no PDF written: %v", err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) < 2000 {
		t.Fatalf("the PDF is not a rendered page (%d bytes)", len(pdf))
	}
	if text, err := exec.Command("pdftotext", filepath.Join(dir, "report.pdf"), "-").Output(); err == nil {
		for _, w := range []string{"街道评价", "赛虹桥街道", "50.00%"} {
			if !strings.Contains(string(text), w) {
				t.Errorf("the rendered report lacks %q:\n%s", w, text)
			}
		}
	}
}
