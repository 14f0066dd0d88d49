package gpkg_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/gpkg"
)

func TestTokensAreStoredOnlyAsHashesAndRevocable(t *testing.T) {
	ctx := context.Background()
	st, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), "t.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tok, info, err := st.CreateToken(ctx, data.Principal{User: "zhang", Role: data.RoleUnit, Unit: "D-WATER"}, "handset", time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, data.TokenPrefix) || len(tok) != len(data.TokenPrefix)+43 {
		t.Fatalf("token %q: want %s and 43 base64url characters (256 bits)", tok, data.TokenPrefix)
	}
	// The token text appears nowhere in the table.
	var n int
	if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM citygrid_tokens WHERE instr(id||user||role||unit||note||hex(hash), ?) > 0`, tok[len(data.TokenPrefix):]).Scan(&n); err != nil || n != 0 {
		t.Fatalf("token text found in the table (%d rows, %v)", n, err)
	}
	got, err := st.TokenByHash(ctx, data.HashToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != info.ID || got.Principal != info.Principal || !got.Valid(time.Now()) || got.Note != "handset" {
		t.Fatalf("looked up %+v, issued %+v", got, info)
	}
	if got.Valid(time.Now().Add(2 * time.Hour)) {
		t.Fatal("token valid after its expiry")
	}
	if _, err := st.TokenByHash(ctx, data.HashToken(tok+"x")); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("unknown token: %v, want ErrNotFound", err)
	}
	r0, _ := st.TokenRevocations(ctx)
	rev, err := st.RevokeToken(ctx, info.ID)
	if err != nil || rev.RevokedAt.IsZero() || rev.Valid(time.Now()) {
		t.Fatalf("revoke: %+v, %v", rev, err)
	}
	r1, _ := st.TokenRevocations(ctx)
	if r1 != r0+1 {
		t.Fatalf("revocations %d → %d, want one more", r0, r1)
	}
	if _, err := st.RevokeToken(ctx, "000000000000"); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("revoking an unknown id: %v", err)
	}
	list, err := st.Tokens(ctx)
	if err != nil || len(list) != 1 || list[0].RevokedAt.IsZero() {
		t.Fatalf("list: %+v, %v", list, err)
	}
}

func TestTokenPrincipalsAreValidated(t *testing.T) {
	ctx := context.Background()
	st, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), "t.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, c := range []struct {
		p     data.Principal
		field string
	}{
		{data.Principal{Role: data.RoleAdmin}, "user"},
		{data.Principal{User: "a", Role: "root"}, "role"},
		{data.Principal{User: "a", Role: data.RoleUnit}, "unit"},
		{data.Principal{User: "a", Role: data.RoleViewer, Unit: "D-X"}, "unit"},
	} {
		_, _, err := st.CreateToken(ctx, c.p, "", time.Time{})
		var ve *data.ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("%+v: %v, want a validation error on %s", c.p, err, c.field)
		}
	}
	if _, _, err := st.CreateToken(ctx, data.Principal{User: "a", Role: data.RoleViewer}, "", time.Now().Add(-time.Second)); err == nil {
		t.Error("a token expiring in the past was issued")
	}
}
