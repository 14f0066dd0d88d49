package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"citygrid/data"
)

// StoreTokens authenticates tokens issued into a data.TokenStore (by
// `citygrid token create` or POST /api/v1/tokens). Looked-up tokens are
// cached for CacheTTL so that a busy client costs one hash and one map
// read per request, not a store query. Revocation drops the cache at once
// when made through this server (Revoke) and within PollInterval when made
// by another process (`citygrid token revoke`), which the server notices by
// polling the store's revocation counter.
type StoreTokens struct {
	store data.TokenStore
	// CacheTTL is how long a looked-up token is trusted without asking
	// the store again (default 1 min); PollInterval how often the
	// revocation counter is read (default 1 s).
	CacheTTL     time.Duration
	PollInterval time.Duration
	now          func() time.Time

	mu    sync.RWMutex
	cache map[data.TokenHash]cachedToken

	revocations atomic.Int64
	lastPoll    atomic.Int64 // unix nanoseconds
	hits        atomic.Uint64
	misses      atomic.Uint64
}

type cachedToken struct {
	tok   data.Token
	until time.Time
}

// maxCachedTokens bounds the cache; past it the cache starts over.
const maxCachedTokens = 10_000

// NewStoreTokens returns an authenticator over st.
func NewStoreTokens(st data.TokenStore) *StoreTokens {
	return &StoreTokens{store: st, CacheTTL: time.Minute, PollInterval: time.Second, now: time.Now,
		cache: map[data.TokenHash]cachedToken{}}
}

// Authenticate implements Authenticator: an unknown, revoked or expired
// token fails with an error wrapping data.ErrUnauthorized that names the
// token's public id, never the token.
func (a *StoreTokens) Authenticate(ctx context.Context, token string) (data.Principal, error) {
	now := a.now()
	a.pollRevocations(ctx, now)
	h := data.HashToken(token)
	a.mu.RLock()
	c, ok := a.cache[h]
	a.mu.RUnlock()
	if ok && now.Before(c.until) {
		a.hits.Add(1)
		return check(c.tok, now)
	}
	a.misses.Add(1)
	tok, err := a.store.TokenByHash(ctx, h)
	if errors.Is(err, data.ErrNotFound) {
		return data.Principal{}, fmt.Errorf("unknown token (id %s): %w", h.ID(), data.ErrUnauthorized)
	}
	if err != nil {
		return data.Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	a.mu.Lock()
	if len(a.cache) >= maxCachedTokens {
		clear(a.cache)
	}
	a.cache[h] = cachedToken{tok: tok, until: now.Add(a.CacheTTL)}
	a.mu.Unlock()
	return check(tok, now)
}

func check(t data.Token, now time.Time) (data.Principal, error) {
	switch {
	case !t.RevokedAt.IsZero():
		return data.Principal{}, fmt.Errorf("token %s was revoked: %w", t.ID, data.ErrUnauthorized)
	case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
		return data.Principal{}, fmt.Errorf("token %s expired at %s: %w", t.ID, t.ExpiresAt.Format(time.RFC3339), data.ErrUnauthorized)
	}
	return t.Principal, nil
}

// pollRevocations reads the store's revocation counter at most once per
// PollInterval (one request does, the others go on) and drops the cache
// when it moved.
func (a *StoreTokens) pollRevocations(ctx context.Context, now time.Time) {
	last := a.lastPoll.Load()
	if now.UnixNano()-last < int64(a.PollInterval) || !a.lastPoll.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	n, err := a.store.TokenRevocations(ctx)
	if err != nil {
		return // the next poll tries again; lookups report store errors
	}
	if old := a.revocations.Swap(n); old != n {
		a.Invalidate()
	}
}

// Invalidate drops every cached token.
func (a *StoreTokens) Invalidate() {
	a.mu.Lock()
	clear(a.cache)
	a.mu.Unlock()
}

// Revoke revokes a token in the store and drops the cache at once.
func (a *StoreTokens) Revoke(ctx context.Context, id string) (data.Token, error) {
	t, err := a.store.RevokeToken(ctx, id)
	if err == nil {
		a.Invalidate()
	}
	return t, err
}

// CacheStats reports the cache's hits and misses so far.
func (a *StoreTokens) CacheStats() (hits, misses uint64) { return a.hits.Load(), a.misses.Load() }
