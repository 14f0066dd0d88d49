package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// NotifyUrge is the kind of the notification a 督办/催办 sends.
const NotifyUrge = "urge"

// Sender is one notification channel (webhook, SMS gateway, …). The
// service sends an urge through every sender it has; the Notifier's
// due-soon and overdue warnings go through the webhook.
type Sender interface {
	// Send delivers one notification; an error means it did not go out.
	Send(ctx context.Context, n Notification) error
}

// WebhookSender posts notifications as JSON to the settings' webhook.
type WebhookSender struct {
	// URL is the webhook address at the time of sending ("" sends
	// nothing); Deliver posts the body (webhook.Deliver over HTTP).
	URL     func() string
	Deliver Deliver
}

// Send posts n to the webhook once; a status of 300 or more is an error.
func (w WebhookSender) Send(ctx context.Context, n Notification) error {
	url := ""
	if w.URL != nil {
		url = w.URL()
	}
	if url == "" {
		return nil
	}
	if w.Deliver == nil {
		return errNoDelivery
	}
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	status, err := w.Deliver(ctx, url, b)
	if err != nil {
		return err
	}
	if status >= 300 {
		return fmt.Errorf("webhook answered %d", status)
	}
	return nil
}

// SMSGateway is the port of an SMS provider: one text to one phone number.
// Adapters for a provider's HTTP API implement it.
type SMSGateway interface {
	SendSMS(ctx context.Context, phone, text string) error
}

// SMSSender texts a unit's people in charge through a gateway.
type SMSSender struct {
	Gateway SMSGateway
	// Phones are the numbers to text for a unit (its person in charge);
	// none: the unit gets no text.
	Phones func(unit string) []string
}

// Send texts every phone of the notification's unit.
func (s SMSSender) Send(ctx context.Context, n Notification) error {
	if s.Phones == nil || s.Gateway == nil {
		return nil
	}
	var errs []error
	text := SMSText(n)
	for _, ph := range s.Phones(n.Unit) {
		if err := s.Gateway.SendSMS(ctx, ph, text); err != nil {
			errs = append(errs, fmt.Errorf("sms to unit %s: %w", n.Unit, err))
		}
	}
	return errors.Join(errs...)
}

// SMSText is the Chinese text of a notification, as a unit's person in
// charge reads it on a phone.
func SMSText(n Notification) string {
	due := ""
	if !n.DueAt.IsZero() {
		due = "，处置时限" + n.DueAt.In(ChinaTime).Format("1月2日15:04")
	}
	switch n.Kind {
	case NotifyUrge:
		return fmt.Sprintf("【数字城管督办】案卷%s%s。%s", n.Number, due, n.Note)
	case NotifyOverdue:
		return fmt.Sprintf("【数字城管】案卷%s已超期%s，请尽快处置。", n.Number, due)
	case NotifyDueSoon:
		return fmt.Sprintf("【数字城管】案卷%s即将到期%s，请抓紧处置。", n.Number, due)
	}
	return fmt.Sprintf("【数字城管】案卷%s：%s", n.Number, n.Kind)
}

// send delivers n through every sender; failures are joined, and the
// action that caused them stands.
func (s *Service) send(ctx context.Context, n Notification) error {
	var errs []error
	for _, snd := range s.Senders {
		if err := snd.Send(ctx, n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// urgeNotification is the notification of an urge transition.
func urgeNotification(c *Case, t *Transition) Notification {
	n := Notification{Kind: NotifyUrge, CaseID: c.ID, Number: c.Number, Unit: c.Unit, Category: c.Category, State: c.State, At: t.At, Note: t.Note, By: t.User}
	if c.DueAt != nil {
		n.DueAt = *c.DueAt
	}
	return n
}

// sendTimeout bounds the senders after an urge, so a slow gateway does
// not hold the request.
const sendTimeout = 10 * time.Second
