package open311

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"citygrid/data/cases"
)

// lang is the language of the texts of an answer: Chinese by default,
// English when the client asks for it with locale=en or an
// Accept-Language whose first choice is English.
type lang bool

const (
	zh lang = false
	en lang = true
)

// langOf reads a request's language.
func langOf(r *http.Request) lang {
	if l := strings.ToLower(r.URL.Query().Get("locale")); l != "" {
		return lang(strings.HasPrefix(l, "en"))
	}
	al := strings.ToLower(strings.TrimSpace(r.Header.Get("Accept-Language")))
	return lang(strings.HasPrefix(al, "en"))
}

// pick chooses the text of l.
func (l lang) pick(chinese, english string) string {
	if l == en {
		return english
	}
	return chinese
}

// statusNotes are the status notes of FixMyStreet's extended statuses.
var statusNotes = map[string][2]string{
	"OPEN":              {"已受理，等待核实", "Received, waiting to be confirmed on site"},
	"INVESTIGATING":     {"监督员已现场核实", "Confirmed on site by an inspector"},
	"ACTION_SCHEDULED":  {"已立案，交由处置单位处理", "Accepted and sent to the unit that handles it"},
	"IN_PROGRESS":       {"处置单位已反馈处理完毕，等待核查", "The unit reports it done; waiting for the check on site"},
	"FIXED":             {"已处置", "Fixed"},
	"INTERNAL_REFERRAL": {"正在重新确定处置单位", "Being re-routed to the responsible unit"},
	"NO_FURTHER_ACTION": {"不予立案", "Not accepted"},
	"DUPLICATE":         {"与已受理的问题重复", "A duplicate of a request already open"},
	"CANCELLED":         {"已作废", "Cancelled"},
}

// statusNote is the note of an extended status in l.
func statusNote(ext string, l lang) string {
	if n, ok := statusNotes[ext]; ok {
		return l.pick(n[0], n[1])
	}
	return ext
}

// agencyName is the name of a department code ("" stays "").
func (s *service) agencyName(code string) string {
	if code == "" || s.ix == nil {
		return code
	}
	if d, ok := s.ix.Department(code); ok && d.Name != "" {
		return d.Name
	}
	return code
}

// original is the open request a duplicate was linked to: its id, number
// and status, for the reporter to follow.
type original struct {
	ID     int64  `json:"service_request_id" xml:"service_request_id"`
	Number string `json:"number" xml:"number"`
	Status string `json:"status" xml:"status"`
	Notes  string `json:"status_notes" xml:"status_notes"`
}

// originalOf looks up the case a duplicate was linked to (nil when c is
// none or the original cannot be read).
func (s *service) originalOf(ctx context.Context, c *cases.Case, l lang) *original {
	if c.DuplicateOf == 0 || s.st == nil {
		return nil
	}
	o, err := s.st.Get(ctx, c.DuplicateOf)
	if err != nil {
		return nil
	}
	status, ext := open311Status(o)
	return &original{ID: o.ID, Number: o.Number, Status: status, Notes: statusNote(ext, l)}
}

// duplicateNotice tells the reporter of a duplicate which request to
// follow.
func duplicateNotice(o *original, l lang) string {
	return l.pick(fmt.Sprintf("与已受理的请求 %d（案卷号 %s，%s）重复，请关注该请求的进展", o.ID, o.Number, o.Notes),
		fmt.Sprintf("A duplicate of request %d (case %s, %s): follow that request", o.ID, o.Number, o.Notes))
}

// publicNote is what the public feed tells about a transition: the
// unit's feedback and the centre's decisions; internal notes (returns,
// arbitration, extension requests) stay internal. agency names a unit.
func publicNote(t cases.Transition, l lang, agency func(string) string) string {
	switch t.Action {
	case cases.ActReport:
		return l.pick("已受理。", "Report received.")
	case cases.ActVerify:
		return l.pick("监督员已现场核实。", "Confirmed on site by an inspector.")
	case cases.ActRegister:
		return l.pick("已立案。", "Accepted as a case.")
	case cases.ActNotRegister:
		return l.pick("不予立案：", "Not accepted: ") + t.Note
	case cases.ActDispatch, cases.ActRedispatch, cases.ActArbitrate:
		a := agency(t.Unit)
		return l.pick("已派遣至"+a+"处置。", "Sent to "+a+" for handling.")
	case cases.ActHandle:
		return l.pick("处置单位反馈已处理：", "The handling unit reports it done: ") + t.Note
	case cases.ActCheckPass:
		return l.pick("现场核查：已处置。", "Checked on site: fixed.")
	case cases.ActCheckFail:
		return l.pick("现场核查：尚未处置到位，已退回处置单位。", "Checked on site: not fixed yet; sent back to the unit.")
	case cases.ActClose:
		return l.pick("已结案。", "Closed.")
	case cases.ActReturn:
		return l.pick("正在重新确定处置单位。", "Being re-routed to the responsible unit.")
	case cases.ActSuspend:
		return l.pick("暂缓处置：暂不具备处置条件。", "Deferred: it cannot be solved at once.")
	case cases.ActResume:
		return l.pick("恢复处置。", "Work resumed.")
	case cases.ActCancel:
		return l.pick("已作废：", "Cancelled: ") + t.Note
	case cases.ActApproveExtension:
		return l.pick("已批准处置单位延期。", "More time granted to the handling unit.")
	case cases.ActUrge:
		return l.pick("中心已督办处置单位。", "The centre urged the handling unit.")
	}
	return ""
}
