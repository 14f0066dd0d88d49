package city

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"citygrid/data"
	"citygrid/data/accounts"
	"citygrid/data/cases"
)

// UserLister lists the accounts (accounts.Store implements it).
type UserLister interface {
	Users(ctx context.Context) ([]accounts.User, error)
}

// inspectorCacheFor is how long the list of inspectors and their work
// grids is reused: a report must not read every account.
const inspectorCacheFor = time.Minute

// inspectorDirectory answers which inspector walks a work grid, from the
// accounts, refreshed at most every inspectorCacheFor.
type inspectorDirectory struct {
	users UserLister
	now   func() time.Time

	mu     sync.Mutex
	at     time.Time
	byGrid map[string]string // work grid → first inspector by name
	known  map[string]bool   // enabled inspectors
}

// load refreshes the directory when stale; on error the last answer stays.
func (d *inspectorDirectory) load() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.byGrid != nil && d.now().Sub(d.at) < inspectorCacheFor {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	us, err := d.users.Users(ctx)
	if err != nil {
		return
	}
	slices.SortFunc(us, func(a, b accounts.User) int { return cmp.Compare(a.Name, b.Name) })
	byGrid, known := map[string]string{}, map[string]bool{}
	for _, u := range us {
		if u.Disabled || !u.HasRole(data.RoleInspector) {
			continue
		}
		known[u.Name] = true
		if _, taken := byGrid[u.Grid]; u.Grid != "" && !taken {
			byGrid[u.Grid] = u.Name
		}
	}
	d.byGrid, d.known, d.at = byGrid, known, d.now()
}

// inspectorOf is cases.Service.InspectorOf: the inspector of the first of
// the case's management grids that has one.
func (d *inspectorDirectory) inspectorOf(grids []string) string {
	d.load()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, g := range grids {
		if u := d.byGrid[g]; u != "" {
			return u
		}
	}
	return ""
}

// exists is cases.Service.InspectorExists.
func (d *inspectorDirectory) exists(user string) bool {
	d.load()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.known[user]
}

// wireTasks connects the workflow to the accounts (inspector tasks) and
// to the notification channels (urges).
func (w *Workflow) wireTasks(cfg Config) {
	if cfg.Users != nil {
		d := &inspectorDirectory{users: cfg.Users, now: time.Now}
		w.Service.InspectorOf, w.Service.InspectorExists = d.inspectorOf, d.exists
	}
	svc := w.Service
	w.Service.Senders = []cases.Sender{cases.WebhookSender{URL: func() string { return svc.Settings().WebhookURL }, Deliver: cfg.Deliver}}
	w.Service.OnSendError = func(err error) { w.log.Warn("case notification not sent", "err", err) }
	if cfg.SMS != nil {
		sms := cases.SMSSender{Gateway: cfg.SMS, Phones: cfg.SMSPhones}
		w.Service.Senders = append(w.Service.Senders, sms)
		w.notifier.Also = []cases.Sender{sms} // due-soon and overdue warnings too
		w.notifier.OnSendError = w.Service.OnSendError
	}
}
