package password

import (
	"context"
	"errors"
	"strings"
	"testing"

	"citygrid/data"
)

// The reference implementation (Debian's argon2 1.0 command, built from
// the PHC winner's sources) made these hashes:
//
//	echo -n 正确的马电池订书钉 | argon2 somesaltsomesalt -id -t 2 -m 10 -p 2 -l 32 -e
//	echo -n "correct horse battery staple" | argon2 0123456789abcdef -id -t 3 -m 16 -p 4 -l 32 -e
var referenceHashes = []struct{ password, phc string }{
	{"正确的马电池订书钉", "$argon2id$v=19$m=1024,t=2,p=2$c29tZXNhbHRzb21lc2FsdA$ya0mkVsZFn0U1h8ltj6WFSt66BUTF9bPV93b0YrUZzQ"},
	{"correct horse battery staple", "$argon2id$v=19$m=65536,t=3,p=4$MDEyMzQ1Njc4OWFiY2RlZg$77UfmnZYT23WpPeUKhovauWm5OxRQv9nTf1dJ+tF5EY"},
}

func TestHashesOfTheReferenceImplementationVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(Default)
	for _, c := range referenceHashes {
		ok, rehash, err := h.Verify(ctx, c.password, c.phc)
		if err != nil || !ok {
			t.Fatalf("%s: ok=%v err=%v", c.phc, ok, err)
		}
		// The first was made with other parameters than the defaults, the
		// second with exactly the defaults.
		if want := !strings.Contains(c.phc, "m=65536,t=3,p=4"); rehash != want {
			t.Errorf("%s: rehash %v, want %v", c.phc, rehash, want)
		}
		if ok, _, _ := h.Verify(ctx, c.password+" ", c.phc); ok {
			t.Errorf("%s: a different password verified", c.phc)
		}
	}
}

func TestOurHashesAreReferencePHCStringsWithFreshSalts(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(Params{Memory: 1024, Time: 2, Threads: 2})
	a, err := h.Hash(ctx, "正确的马电池订书钉")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := h.Hash(ctx, "正确的马电池订书钉")
	if a == b {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	if !strings.HasPrefix(a, "$argon2id$v=19$m=1024,t=2,p=2$") || len(strings.Split(a, "$")) != 6 {
		t.Fatalf("hash %q is not a PHC argon2id string", a)
	}
	// Same salt as the reference vector: our key must be the reference's.
	p, _, _, err := decodePHC(referenceHashes[0].phc)
	if err != nil {
		t.Fatal(err)
	}
	_, salt, key, _ := decodePHC(referenceHashes[0].phc)
	if got := encodePHC(p, salt, key); got != referenceHashes[0].phc {
		t.Fatalf("encode(decode(x)) = %s, want %s", got, referenceHashes[0].phc)
	}
	for _, rehashWith := range []Params{{Memory: 2048, Time: 2, Threads: 2}, {Memory: 1024, Time: 3, Threads: 2}, {Memory: 1024, Time: 2, Threads: 1}} {
		ok, rehash, err := NewHasher(rehashWith).Verify(ctx, "正确的马电池订书钉", a)
		if !ok || !rehash || err != nil {
			t.Errorf("verify under %+v: ok=%v rehash=%v err=%v, want ok and rehash", rehashWith, ok, rehash, err)
		}
	}
}

func TestTamperedHashesAreRefusedWithoutHashing(t *testing.T) {
	h := NewHasher(Default)
	for _, bad := range []string{
		"",
		"plain",
		"$2a$10$abcdefghijklmnopqrstuu", // bcrypt
		"$argon2i$v=19$m=1024,t=2,p=2$c29tZXNhbHRzb21lc2FsdA$ya0mkVsZFn0U1h8ltj6WFSt66BUTF9bPV93b0YrUZzQ",
		"$argon2id$v=16$m=1024,t=2,p=2$c29tZXNhbHRzb21lc2FsdA$ya0mkVsZFn0U1h8ltj6WFSt66BUTF9bPV93b0YrUZzQ",
		"$argon2id$v=19$m=99999999,t=2,p=2$c29tZXNhbHRzb21lc2FsdA$ya0mkVsZFn0U1h8ltj6WFSt66BUTF9bPV93b0YrUZzQ",
		"$argon2id$v=19$m=1024,t=0,p=2$c29tZXNhbHRzb21lc2FsdA$ya0mkVsZFn0U1h8ltj6WFSt66BUTF9bPV93b0YrUZzQ",
		"$argon2id$v=19$m=1024,t=2,p=0$c29tZXNhbHRzb21lc2FsdA$ya0mkVsZFn0U1h8ltj6WFSt66BUTF9bPV93b0YrUZzQ",
		"$argon2id$v=19$m=1024,t=2,p=2,x=1$c29tZXNhbHRzb21lc2FsdA$ya0mkVsZFn0U1h8ltj6WFSt66BUTF9bPV93b0YrUZzQ",
		"$argon2id$v=19$m=1024,t=2,p=2$!!$ya0mkVsZFn0U1h8ltj6WFSt66BUTF9bPV93b0YrUZzQ",
		"$argon2id$v=19$m=1024,t=2,p=2$c29tZXNhbHRzb21lc2FsdA$short",
	} {
		if ok, _, err := h.Verify(context.Background(), "x", bad); ok || !errors.Is(err, errBadHash) {
			t.Errorf("%q: ok=%v err=%v, want errBadHash", bad, ok, err)
		}
	}
}

func TestHashingWaitsForASlotAndGivesUpWithTheContext(t *testing.T) {
	h := NewHasher(Params{Memory: 64, Time: 1, Threads: 1})
	for range cap(h.slots) {
		h.slots <- struct{}{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "whatever-long"); !errors.Is(err, context.Canceled) {
		t.Fatalf("hash with every slot taken and a cancelled context: %v", err)
	}
	// Waste stands in for a verification, so it queues for a slot too.
	if err := h.Waste(ctx, "whatever-long"); !errors.Is(err, context.Canceled) {
		t.Fatalf("waste with every slot taken and a cancelled context: %v", err)
	}
}

func TestPasswordPolicy(t *testing.T) {
	for _, c := range []struct {
		name, user, password string
		ok                   bool
	}{
		{"ten characters are enough", "zbz01", "Tq7-kettle", true},
		{"a Chinese passphrase counts characters, not bytes", "zbz01", "雨花台区城管中心值班室", true},
		{"nine characters are too few", "zbz01", "Tq7-kettl", false},
		{"the user name inside is refused", "zbz01", "myZBZ01password", false},
		{"a common password is refused", "zbz01", "Woaini1314", false},
		{"a keyboard run is refused", "zbz01", "1qaz2wsx3edc", false},
		{"one repeated character is refused", "zbz01", "aaaaaaaaaaaa", false},
		{"two alternating characters are refused", "zbz01", "abababababab", false},
		{"an ascending run is refused", "zbz01", "abcdefghijk", false},
		{"a descending run is refused", "zbz01", "9876543210", false},
		{"control characters are refused", "zbz01", "tab\there-and-there", false},
		{"more than 256 bytes is refused", "zbz01", strings.Repeat("雨花台", 30), false},
		{"invalid UTF-8 is refused", "zbz01", "abcdefghij\xff", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Check(c.user, c.password)
			if c.ok != (err == nil) {
				t.Fatalf("Check(%q): %v, want ok=%v", c.password, err, c.ok)
			}
			var ve *data.ValidationError
			if err != nil && (!errors.As(err, &ve) || ve.Field != "password" || strings.Contains(ve.Reason, c.password)) {
				t.Fatalf("error %v: want a validation error on password that does not echo it", err)
			}
		})
	}
}

func TestGeneratedPasswordsPassThePolicyAndDiffer(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		p, err := Generate()
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != 14 || p[4] != '-' || p[9] != '-' || strings.ContainsAny(p, "0O1lI") {
			t.Fatalf("password %q: want xxxx-xxxx-xxxx without look-alike characters", p)
		}
		if err := Check("admin", p); err != nil {
			t.Fatalf("generated %q fails the policy: %v", p, err)
		}
		if seen[p] {
			t.Fatalf("%q generated twice", p)
		}
		seen[p] = true
	}
}
