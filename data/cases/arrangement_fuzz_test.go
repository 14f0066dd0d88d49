package cases_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"citygrid/data"
	"citygrid/data/cases"
)

// FuzzReadArrangement feeds arbitrary documents to the arrangement
// reader. Whatever the input: no panic; a refusal is a validation error;
// an accepted arrangement keeps every statutory day of its year off and
// no make-up day among its days off, and a calendar takes it. Seeds are
// the built-in files and testdata/fuzz/FuzzReadArrangement.
func FuzzReadArrangement(f *testing.F) {
	for _, name := range []string{"arrangements/2025.json", "arrangements/2026.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"year": 2027, "holidays": [{"festivals": ["元旦"], "from": "2027-01-01", "to": "2027-01-01"}]}`))
	f.Add([]byte(`{"year": 1900}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		a, err := cases.ReadArrangement(bytes.NewReader(doc))
		if err != nil {
			var ve *data.ValidationError
			var ves data.ValidationErrors
			if !errors.As(err, &ve) && !errors.As(err, &ves) {
				t.Fatalf("not a validation error: %v", err)
			}
			return
		}
		off := map[cases.Date]bool{}
		for _, d := range a.DaysOff() {
			off[d] = true
		}
		stat, err := cases.StatutoryDays(a.Year)
		if err != nil {
			t.Fatalf("accepted year %d: %v", a.Year, err)
		}
		for _, sd := range stat {
			if !off[sd.Date] {
				t.Fatalf("accepted, but statutory %s is not off", sd.Date)
			}
		}
		for _, d := range a.MakeUpDays() {
			if off[d] {
				t.Fatalf("accepted, but %s is both off and worked", d)
			}
		}
		cal, err := cases.DefaultCalendar().WithArrangement(*a)
		if err != nil {
			t.Fatalf("a calendar refused an accepted arrangement: %v", err)
		}
		for _, d := range a.MakeUpDays() {
			if !cal.IsWorkingDate(d) {
				t.Fatalf("make-up day %s is not a working day", d)
			}
		}
	})
}
