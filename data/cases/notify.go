package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Notification is the body sent for a case that is due soon, overdue or
// urged (督办), so a webhook or an SMS gateway can warn the unit's person
// in charge.
type Notification struct {
	Kind     string    `json:"kind"` // due_soon or overdue
	CaseID   int64     `json:"case_id"`
	Number   string    `json:"number"`
	Unit     string    `json:"unit"`
	Category string    `json:"category"`
	State    State     `json:"state"`
	DueAt    time.Time `json:"due_at"`
	Used     float64   `json:"used"`
	At       time.Time `json:"at"`
	// Note and By: the urge's text and who urged (NotifyUrge only).
	Note string `json:"note,omitempty"`
	By   string `json:"by,omitempty"`
}

// Notification kinds.
const (
	NotifyDueSoon = "due_soon"
	NotifyOverdue = "overdue"
)

// Deliver posts one notification's JSON body to the webhook at url and
// returns the HTTP status the receiver answered. It is the notifier's one
// port to the network, so that the case engine does no transport of its
// own: package data/cases/webhook delivers over HTTP.
type Deliver func(ctx context.Context, url string, body []byte) (status int, err error)

// errNoDelivery: a notifier was asked to notify without a way to deliver.
var errNoDelivery = errors.New("no webhook delivery configured")

// Notifier posts due-soon and overdue notifications to a webhook, at most
// once per case, kind and deadline (recorded in the store), retrying a
// failed delivery with exponential backoff, a bounded number of times.
type Notifier struct {
	Service *Service
	Store   ServerStore
	// Deliver sends one notification (webhook.Deliver over HTTP); nil
	// fails every delivery.
	Deliver Deliver
	// Attempts per notification (default 5) and the first retry delay
	// (default 1 s, doubled each time, at most 1 min).
	Attempts  int
	BaseDelay time.Duration
	// Sleep waits between attempts (tests replace it); nil: a timer
	// honouring ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Also are the channels beside the webhook (an SMS sender) that get
	// each warning once the webhook took it; their failures go to
	// OnSendError and do not hold the record back.
	Also        []Sender
	OnSendError func(err error)
}

// also sends a delivered warning through the other channels.
func (n *Notifier) also(ctx context.Context, body Notification) {
	for _, snd := range n.Also {
		if err := snd.Send(ctx, body); err != nil && n.OnSendError != nil {
			n.OnSendError(fmt.Errorf("notify case %d (%s): %w", body.CaseID, body.Kind, err))
		}
	}
}

// Sweep finds the handling cases whose deadline is due soon or passed at
// now and delivers one notification for each not yet sent. It returns how
// many were delivered; a delivery that fails after every attempt is not
// recorded (the next sweep tries again) and its error is returned last.
func (n *Notifier) Sweep(ctx context.Context, url string, now time.Time) (int, error) {
	if url == "" {
		return 0, nil
	}
	sent := 0
	var lastErr error
	f := Filter{States: []State{StateDispatched}, Sort: SortDue, Limit: MaxPageSize, NoTotal: true, DueBefore: n.horizon(now)}
	for off := 0; ; off += MaxPageSize {
		f.Offset = off
		p, err := n.Store.List(ctx, f)
		if err != nil {
			return sent, err
		}
		stop := false
		for _, c := range p.Cases {
			if c.DueAt == nil {
				stop = true
				break
			}
			pr := n.Service.Progress(c, now)
			kind := ""
			switch pr.Light {
			case LightRed:
				kind = NotifyOverdue
			case LightYellow:
				kind = NotifyDueSoon
			default:
				// Sorted by deadline: once the deadline is far enough
				// that the clock is green, later ones mostly are too, but
				// limits differ in length, so keep scanning this page.
				continue
			}
			body := Notification{Kind: kind, CaseID: c.ID, Number: c.Number, Unit: c.Unit, Category: c.Category, State: c.State, DueAt: *c.DueAt, Used: pr.Used, At: now}
			if cl, shared := n.Store.(NotificationClaimer); shared {
				// Replicas share the store: the record is the claim, taken
				// before sending, so one replica sends; a failed delivery
				// gives it back for the next sweep.
				if claimed, err := n.Store.MarkNotified(ctx, c.ID, kind, *c.DueAt); err != nil {
					return sent, err
				} else if !claimed {
					continue
				}
				if err := n.post(ctx, url, body); err != nil {
					lastErr = err
					if rerr := cl.ReleaseNotification(ctx, c.ID, kind, *c.DueAt); rerr != nil {
						return sent, rerr
					}
					continue
				}
				sent++
				n.also(ctx, body)
				continue
			}
			if err := n.deliver(ctx, url, body); err != nil {
				lastErr = err
				continue
			}
			if fresh, err := n.Store.MarkNotified(ctx, c.ID, kind, *c.DueAt); err != nil {
				return sent, err
			} else if fresh {
				sent++
				n.also(ctx, body)
			}
		}
		if stop || len(p.Cases) < MaxPageSize {
			break
		}
	}
	return sent, lastErr
}

// horizon bounds the deadlines that can be yellow at now: a case is
// yellow when at most (1 − DueSoonFraction) of its clock is left, and its
// clock is at most the longest limit of the table with every extension
// allowed; twice that, for limits of older table versions.
func (n *Notifier) horizon(now time.Time) time.Time {
	t := n.Service.Deadlines()
	set := n.Service.Settings()
	cal := n.Service.Calendar()
	grow := 2 * (1 - set.DueSoonFraction) * (1 + set.MaxExtensionFactor*float64(set.MaxExtensions))
	far := now
	limits := []Limit{t.Default}
	for _, r := range t.Rules {
		limits = append(limits, r.Limit)
	}
	for _, l := range limits {
		if h := cal.Add(l, now, time.Duration(float64(l.Duration())*grow)); h.After(far) {
			far = h
		}
	}
	return far.Add(time.Minute)
}

// deliver posts one notification unless it was already sent.
func (n *Notifier) deliver(ctx context.Context, url string, body Notification) error {
	if done, err := n.Store.Notified(ctx, body.CaseID, body.Kind, body.DueAt); err != nil {
		return err
	} else if done {
		return nil
	}
	return n.post(ctx, url, body)
}

// NotificationClaimer is a store shared by several replicas: the Notifier
// records a notification (MarkNotified) before sending it, so that only
// the replica whose record went in sends, and releases the record when
// every attempt failed. A replica dying between the record and the post
// loses that one notification (at most once across replicas).
type NotificationClaimer interface {
	// ReleaseNotification removes the record MarkNotified made.
	ReleaseNotification(ctx context.Context, caseID int64, kind string, dueAt time.Time) error
}

// statusTooManyRequests is HTTP 429: the receiver asks to be retried later.
const statusTooManyRequests = 429

// post sends one notification, retrying with backoff.
func (n *Notifier) post(ctx context.Context, url string, body Notification) error {
	b, _ := json.Marshal(body)
	attempts := n.Attempts
	if attempts <= 0 {
		attempts = 5
	}
	delay := n.BaseDelay
	if delay <= 0 {
		delay = time.Second
	}
	if n.Deliver == nil {
		return fmt.Errorf("notify case %d: %w", body.CaseID, errNoDelivery)
	}
	sleep := n.Sleep
	if sleep == nil {
		sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	var err error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			if serr := sleep(ctx, delay); serr != nil {
				return serr
			}
			delay = min(delay*2, time.Minute)
		}
		var status int
		status, err = n.Deliver(ctx, url, b)
		if err == nil {
			if status < 300 {
				return nil
			}
			err = fmt.Errorf("webhook answered %d", status)
			if status < 500 && status != statusTooManyRequests {
				break // the receiver refuses it: retrying will not help
			}
		}
	}
	return fmt.Errorf("notify case %d (%s): %w", body.CaseID, body.Kind, err)
}
