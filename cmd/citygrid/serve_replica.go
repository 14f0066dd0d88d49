package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"citygrid/api"
	"citygrid/data"
)

// replicaConfig makes the server a replica of a shared store: it follows
// the store's change log from the Seq the loaded city reflects, woken by
// the store's notifications when it sends them.
func replicaConfig(acfg *api.Config, st data.Store, ds *data.Dataset, cfg *serverConfig, log *slog.Logger) error {
	cl, ok := st.(data.ChangeLog)
	if !ok {
		log.Warn("replica: the store keeps no change log; edits made through other replicas are not followed until a restart")
		return nil
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
	return nil
}

// redactURL hides a URL's password for logs and errors.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Sprintf("(unparsable store URL: %d bytes)", len(s))
	}
	return u.Redacted()
}
