package statstest

import (
	"slices"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
)

// PostRow is one person's post counts, by the definitions of package
// stats (posts.go), keyed like the JSON of stats.PostCounts.
type PostRow map[string]int

// PostKey names a person on a post.
type PostKey struct {
	Post string
	User string
}

// NaivePosts counts every person's post events in [from, to) from each
// case's whole transition list, looking forward in the list for the
// outcome of each event instead of keeping state: a report is valid when
// the case has a register transition at all; a register is cancelled when
// a cancel follows it; a dispatch is returned when a return follows it
// before the next dispatch, redispatch or arbitration.
func NaivePosts(cs []cases.Case, trs []cases.Transition, from, to time.Time) map[PostKey]PostRow {
	byCase := map[int64][]cases.Transition{}
	for _, t := range trs {
		byCase[t.CaseID] = append(byCase[t.CaseID], t)
	}
	out := map[PostKey]PostRow{}
	inc := func(post, user, field string, n int) {
		k := PostKey{post, user}
		if out[k] == nil {
			out[k] = PostRow{}
		}
		out[k][field] += n
	}
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	for i := range cs {
		c := &cs[i]
		list := byCase[c.ID]
		slices.SortFunc(list, func(a, b cases.Transition) int { return a.Seq - b.Seq })
		has := func(after int, action string) bool {
			for _, t := range list[after+1:] {
				if t.Action == action {
					return true
				}
			}
			return false
		}
		registered := has(-1, cases.ActRegister)
		acceptor := ""
		if len(list) > 0 && list[0].Action == cases.ActReport && list[0].Role == data.RoleOperator && person(&list[0]) {
			acceptor = list[0].User
		}
		for j, t := range list {
			if t.At.Before(from) || !t.At.Before(to) {
				continue
			}
			onTime := t.StepDueAt == nil || !t.At.After(*t.StepDueAt)
			me := person(&t)
			switch t.Action {
			case cases.ActReport:
				if me && t.Role == data.RoleInspector {
					inc("inspector", t.User, "reports", 1)
					inc("inspector", t.User, "valid_reports", b(registered))
				}
				if me && t.Role == data.RoleOperator {
					inc("operator", t.User, "accepted", 1)
				}
			case cases.ActVerify:
				if me && t.Role == data.RoleInspector {
					inc("inspector", t.User, "verified", 1)
					inc("inspector", t.User, "verified_on_time", b(onTime))
					if c.Source == cases.SourceHotline || c.Source == cases.SourceCitizen {
						inc("inspector", t.User, "missed", b(registered))
					}
				}
				if acceptor != "" {
					inc("operator", acceptor, "verify_sent", 1)
					inc("operator", acceptor, "verify_sent_on_time", b(onTime))
				}
			case cases.ActCheckPass, cases.ActCheckFail:
				if me && t.Role == data.RoleInspector {
					inc("inspector", t.User, "checked", 1)
					inc("inspector", t.User, "checked_on_time", b(onTime))
				}
				if acceptor != "" {
					inc("operator", acceptor, "check_sent", 1)
					inc("operator", acceptor, "check_sent_on_time", b(onTime))
				}
			case cases.ActRegister:
				if me && t.Role == data.RoleSupervisor {
					inc("supervisor", t.User, "registered", 1)
					inc("supervisor", t.User, "registered_on_time", b(onTime))
					inc("supervisor", t.User, "registered_cancelled", b(has(j, cases.ActCancel)))
				}
			case cases.ActClose:
				if me && t.Role == data.RoleSupervisor {
					inc("supervisor", t.User, "closed", 1)
					inc("supervisor", t.User, "closed_on_time", b(c.HandledOnTime == nil || *c.HandledOnTime))
				}
			case cases.ActDispatch, cases.ActRedispatch:
				if me && t.Role == data.RoleDispatcher {
					returned := false
				next:
					for _, u := range list[j+1:] {
						switch u.Action {
						case cases.ActReturn:
							returned = true
							break next
						case cases.ActDispatch, cases.ActRedispatch, cases.ActArbitrate:
							break next
						}
					}
					inc("dispatcher", t.User, "dispatched", 1)
					inc("dispatcher", t.User, "dispatched_on_time", b(onTime))
					inc("dispatcher", t.User, "dispatched_returned", b(returned))
				}
			}
		}
	}
	return out
}

func person(t *cases.Transition) bool {
	return t.User != "" && t.User != "system" && t.Role != data.RoleAdmin
}
