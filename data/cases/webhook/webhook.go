// Package webhook delivers the case workflow's notifications over HTTP: a
// JSON POST to the configured URL, the receiver's status returned for the
// notifier's retry rule. It keeps the case engine free of transport.
package webhook

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"

	"citygrid/data/cases"
)

// DefaultTimeout bounds one delivery when Deliver is given no client.
const DefaultTimeout = 10 * time.Second

// Deliver returns the notifier's delivery over client (nil: a client with
// DefaultTimeout).
func Deliver(client *http.Client) cases.Deliver {
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	return func(ctx context.Context, url string, body []byte) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return 0, fmt.Errorf("webhook %s: %w", url, err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
}
