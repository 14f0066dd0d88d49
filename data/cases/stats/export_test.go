package stats

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
)

func testSheet() *Sheet {
	half := 0.5
	return &Sheet{Name: "unit", Header: []string{"key", "name", "closed", "closure_rate", "note"},
		Rows: [][]any{
			{"A", "市政<养护>&公司", 12, &half, nil},
			{"B", "环卫\x01所", 0, (*float64)(nil), "a,\"b\"\nc"},
		}}
}

func TestWriteCSV(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, testSheet()); err != nil {
		t.Fatal(err)
	}
	body, ok := strings.CutPrefix(b.String(), "\ufeff")
	if !ok {
		t.Fatal("no byte order mark")
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"key", "name", "closed", "closure_rate", "note"}, {"A", "市政<养护>&公司", "12", "0.5", ""}, {"B", "环卫\x01所", "0", "", "a,\"b\"\nc"}}
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	for i := range want {
		for j := range want[i] {
			if recs[i][j] != want[i][j] {
				t.Errorf("record %d field %d = %q, want %q", i, j, recs[i][j], want[i][j])
			}
		}
	}
}

// TestWriteXLSX reads the workbook back as a zip of XML parts and checks
// every part a spreadsheet needs and every cell.
func TestWriteXLSX(t *testing.T) {
	var b bytes.Buffer
	if err := WriteXLSX(&b, testSheet(), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		parts[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	for _, p := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet1.xml"} {
		body, ok := parts[p]
		if !ok {
			t.Fatalf("part %s missing", p)
		}
		d := xml.NewDecoder(bytes.NewReader(body))
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("part %s is not well-formed XML: %v", p, err)
			}
		}
	}
	var ws struct {
		Rows []struct {
			R     int `xml:"r,attr"`
			Cells []struct {
				Ref    string `xml:"r,attr"`
				T      string `xml:"t,attr"`
				V      string `xml:"v"`
				Inline string `xml:"is>t"`
			} `xml:"c"`
		} `xml:"sheetData>row"`
	}
	if err := xml.Unmarshal(parts["xl/worksheets/sheet1.xml"], &ws); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range ws.Rows {
		for _, c := range r.Cells {
			if c.T == "inlineStr" {
				got[c.Ref] = "s:" + c.Inline
			} else {
				got[c.Ref] = "n:" + c.V
			}
		}
	}
	want := map[string]string{"A1": "s:key", "B1": "s:name", "C1": "s:closed", "D1": "s:closure_rate", "E1": "s:note", "A2": "s:A", "B2": "s:市政<养护>&公司", "C2": "n:12", "D2": "n:0.5",
		"A3": "s:B", "B3": "s:环卫所", "C3": "n:0", "E3": "s:a,\"b\"\nc"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("cell %s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d cells, want %d (empty cells must be left out): %v", len(got), len(want), got)
	}
	if !strings.Contains(string(parts["xl/workbook.xml"]), `name="unit"`) {
		t.Error("sheet name missing")
	}
	for i, w := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA"} {
		if colName(i) != w {
			t.Errorf("colName(%d) = %s, want %s", i, colName(i), w)
		}
	}
}
