package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"citygrid/api"
	"citygrid/data"
	"citygrid/data/cases"
)

// replicaConfig makes the server a replica of a shared PostgreSQL store:
// cases and API tokens in the same database (cases.OpenPG, returned for
// closing), and the store's change log followed from the Seq the loaded
// city reflects, woken by the store's notifications when it sends them.
func replicaConfig(ctx context.Context, acfg *api.Config, st data.Store, ds *data.Dataset, cfg *serverConfig, log *slog.Logger) (io.Closer, error) {
	cs, err := cases.OpenPG(ctx, cfg.Store, "")
	if err != nil {
		return nil, fmt.Errorf("open case store %s: %w", redactURL(cfg.Store), err)
	}
	acfg.Cases = cs
	acfg.Tokens = cs
	cl, ok := st.(data.ChangeLog)
	if !ok {
		log.Warn("replica: the store keeps no change log; edits made through other replicas are not followed until a restart")
		return cs, nil
	}
	acfg.ChangeLog = cl
	acfg.ChangeSeq = ds.ChangeSeq
	acfg.FollowEvery = time.Duration(cfg.FollowEvery)
	if l, ok := st.(interface {
		Listen(ctx context.Context, fn func(seq int64)) error
	}); ok {
		acfg.ChangeNotify = l.Listen
	} else {
		log.Warn("replica: the store sends no change notifications; reading its change log every follow_every", "follow_every", cfg.FollowEvery.String())
	}
	log.Info("replica: following the store's change log", "from_seq", ds.ChangeSeq)
	return cs, nil
}

// storeAndCases closes a replica's case store with its city store.
type storeAndCases struct {
	data.Store
	cases io.Closer
}

// Close closes the case store, then the city store.
func (s storeAndCases) Close() error {
	return errors.Join(s.cases.Close(), s.Store.Close())
}

// redactURL hides a URL's password for logs and errors.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Sprintf("(unparsable store URL: %d bytes)", len(s))
	}
	return u.Redacted()
}
