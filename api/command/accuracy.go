package command

import (
	"net/http"

	"citygrid/api/httpx"
	"citygrid/data/cases/stats"
)

// accuracyHandler answers GET /api/v1/stats/dispatch-accuracy: first-time
// dispatch accuracy (首派准确率) of the cases first dispatched in the
// period, by small class (group=category, the default), by the deciding
// rule (group=rule) or by the unit of the first dispatch (group=unit), as
// JSON, CSV or XLSX. The period parameters are those of /api/v1/stats.
func (b *caseBoard) accuracyHandler(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, to, asOf, err := b.statsPeriod(q)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	format, err := statsFormat(r)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	group := q.Get("group")
	if group == "" {
		group = stats.AccuracyByCategory
	}
	res, err := b.Accuracy().Compute(group, from, to)
	if err != nil {
		httpx.WriteError(w, httpx.BadRequest("group", "category, rule or unit"))
		return
	}
	for i := range res.Rows {
		switch group {
		case stats.AccuracyByCategory:
			res.Rows[i].Name = b.Name(stats.DimCategory, res.Rows[i].Key)
		case stats.AccuracyByUnit:
			res.Rows[i].Name = b.Name(stats.DimUnit, res.Rows[i].Key)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	if format == "csv" || format == "xlsx" {
		writeSheet(w, format, stats.AccuracySheetOf(res), "dispatch-accuracy-"+group, from, to, asOf)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}
