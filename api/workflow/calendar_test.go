package workflow_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"citygrid/api/internal/apitest"
	"citygrid/api/internal/routertest"
)

// warnedYears are the years the calendar must warn about at now, by the
// rule admins are promised: the built-in arrangements cover 2025 and 2026;
// a year without one is warned from 60 days before it starts (CST).
func warnedYears(now time.Time) []float64 {
	cst := time.FixedZone("CST", 8*3600)
	var out []float64
	for _, y := range []int{now.In(cst).Year(), now.In(cst).Year() + 1} {
		if y == 2025 || y == 2026 {
			continue
		}
		if !now.Before(time.Date(y, 1, 1, 0, 0, 0, 0, cst).AddDate(0, 0, -60)) {
			out = append(out, float64(y))
		}
	}
	return out
}

func yearsOf(ws any) []float64 {
	var out []float64
	for _, w := range ws.([]any) {
		out = append(out, w.(map[string]any)["year"].(float64))
	}
	return out
}

// An admin loads the 2027 arrangement as a file: the warning for 2027
// leaves the work screens' field, /readyz and the gauge, the years list
// names it as loaded, and the calendar document has a new version.
func TestAdminLoadsAYearsArrangementAndTheWarningGoes(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	want := warnedYears(time.Now())
	w := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/cases/calendar/warnings", "vie", ""), 200)
	if got := yearsOf(w["warnings"]); !slices.Equal(got, want) {
		t.Fatalf("warnings %v, want %v", got, want)
	}
	ready := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/readyz", "", ""), 200)
	if len(want) > 0 && !slices.Equal(yearsOf(ready["calendar_warnings"]), want) {
		t.Fatalf("readyz %v", ready)
	}
	metrics := apitest.Call(t, h, "GET", "/metrics", "adm", "").Body.String()
	if !strings.Contains(metrics, fmt.Sprintf("\ncitygrid_calendar_missing_arrangements %d\n", len(want))) {
		t.Fatalf("gauge missing or wrong in\n%s", metrics)
	}

	doc, err := os.ReadFile("testdata/arrangement-2027.json")
	if err != nil {
		t.Fatal(err)
	}
	// Not an admin; then a notice that leaves out the statutory 元旦.
	apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases/calendar/arrangements", "sup", string(doc)), 403)
	bad := strings.Replace(string(doc), `{"festivals": ["元旦"], "from": "2027-01-01", "to": "2027-01-03", "days": 3},`, "", 1)
	e := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases/calendar/arrangements", "adm", bad), 400)
	if !strings.Contains(fmt.Sprint(e), "元旦") {
		t.Fatalf("the refusal does not name 元旦: %v", e)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "2027.json")
	fw.Write(doc)
	mw.Close()
	res := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases/calendar/arrangements", "adm", body.String(), "Content-Type", mw.FormDataContentType()), 200)
	if res["year"] != 2027.0 || res["version"] != 1.0 || res["refreshed"] != 0.0 {
		t.Fatalf("loaded %v", res)
	}
	want = slices.DeleteFunc(want, func(y float64) bool { return y == 2027 })
	w = apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/cases/calendar/warnings", "vie", ""), 200)
	if got := yearsOf(w["warnings"]); !slices.Equal(got, want) {
		t.Fatalf("warnings after loading %v, want %v", got, want)
	}
	list := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/cases/calendar/arrangements", "vie", ""), 200)
	var years []string
	for _, y := range list["years"].([]any) {
		m := y.(map[string]any)
		years = append(years, fmt.Sprintf("%v:%v", m["year"], m["source"]))
	}
	if !slices.Contains(years, "2027:loaded") || !slices.Contains(years, "2026:builtin") {
		t.Fatalf("years %v", years)
	}
	cal := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/cases/config/calendar", "vie", ""), 200)
	if cal["version"] != 1.0 || !strings.Contains(fmt.Sprint(cal["config"]), "2027 年放假安排（测试）") {
		t.Fatalf("calendar document %v", cal["version"])
	}
}
