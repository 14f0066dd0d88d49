// Package password hashes passwords with argon2id (RFC 9106) in the
// reference implementation's PHC string format, verifies them in constant
// time, tells when a stored hash was made with other parameters, applies
// the password policy and generates passwords that are easy to read off a
// screen. It knows nothing of users or storage.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"citygrid/data"
)

// Params are the argon2id cost parameters of a password hash (RFC 9106).
type Params struct {
	// Memory is the memory cost in KiB.
	Memory uint32
	// Time is the number of passes over the memory.
	Time uint32
	// Threads is the degree of parallelism.
	Threads uint8
}

// Default are RFC 9106's second recommended option (§4): 64 MiB, three
// passes, four lanes. One hash took 0.28 s with GOMAXPROCS=1 on the shared
// 2-core build machine at load average 11, less on an idle core: unnoticed
// at sign-in, and as costly for each offline guess at a stolen hash. A
// stored hash made with other parameters is rehashed with these at the
// user's next successful sign-in.
var Default = Params{Memory: 64 * 1024, Time: 3, Threads: 4}

// Salt and key lengths of every hash: a 128-bit salt and a 256-bit key,
// the lengths RFC 9106 recommends.
const (
	saltLen = 16
	keyLen  = 32
)

// Hasher hashes and verifies passwords with argon2id. It bounds how many
// hashes run at once: each one holds Params.Memory of RAM, so a burst of
// sign-ins must queue rather than exhaust the machine's memory.
type Hasher struct {
	params Params
	slots  chan struct{}
}

// NewHasher returns a Hasher with these parameters (Default when
// zero) running at most GOMAXPROCS hashes at once.
func NewHasher(p Params) *Hasher {
	if p == (Params{}) {
		p = Default
	}
	return &Hasher{params: p, slots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))}
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// acquire waits for a hashing slot or the end of ctx.
func (h *Hasher) acquire(ctx context.Context) (func(), error) {
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait to hash a password: %w", ctx.Err())
	}
}

// Hash returns the PHC string of password under a fresh random salt:
// $argon2id$v=19$m=65536,t=3,p=4$<salt>$<key>, the format of the
// reference implementation, so that other tools can verify it.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	key := argon2.IDKey([]byte(password), salt, h.params.Time, h.params.Memory, h.params.Threads, keyLen)
	return encodePHC(h.params, salt, key), nil
}

// Verify reports whether password matches the stored PHC hash, comparing
// the keys in constant time, and whether the hash should be replaced
// because it was made with other parameters than h's.
func (h *Hasher) Verify(ctx context.Context, password, stored string) (ok, rehash bool, err error) {
	p, salt, key, err := decodePHC(stored)
	if err != nil {
		return false, false, err
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1
	return ok, p != h.params || len(salt) != saltLen || len(key) != keyLen, nil
}

// Waste spends on password what a verification costs, with nothing to
// compare: an unknown user name then answers as slowly as a wrong
// password and does not reveal which names exist.
func (h *Hasher) Waste(ctx context.Context, password string) error {
	release, err := h.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	_ = argon2.IDKey([]byte(password), make([]byte, saltLen), h.params.Time, h.params.Memory, h.params.Threads, keyLen)
	return nil
}

func encodePHC(p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// errBadHash is returned for a stored hash that is not an argon2id PHC
// string this package can verify.
var errBadHash = errors.New("stored password hash is not argon2id v=19")

// decodePHC parses a PHC argon2id string. It refuses parameters far
// beyond any sane setting, so that a tampered row cannot make a sign-in
// allocate gigabytes.
func decodePHC(s string) (Params, []byte, []byte, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return Params{}, nil, nil, errBadHash
	}
	var p Params
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return Params{}, nil, nil, errBadHash
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return Params{}, nil, nil, errBadHash
			}
			p.Threads = uint8(n)
		default:
			return Params{}, nil, nil, errBadHash
		}
	}
	if p.Memory < 8 || p.Memory > 4<<20 || p.Time < 1 || p.Time > 100 || p.Threads < 1 {
		return Params{}, nil, nil, errBadHash
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
		return Params{}, nil, nil, errBadHash
	}
	return p, salt, key, nil
}

// Password policy. NIST SP 800-63B §5.1.1 asks for length and a check
// against easily guessed values instead of composition rules, which push
// people to "Passw0rd!" patterns: at least MinLength characters,
// not containing the user name, not a common or trivially patterned
// password. MaxBytes bounds the work one sign-in can ask for.
const (
	MinLength = 10
	MaxBytes  = 256
)

// commonPasswords are passwords of at least MinLength characters
// that lead the published leak lists, Chinese ones included (pinyin
// phrases, keyboard runs, QQ-era favourites).
var commonPasswords = map[string]bool{
	"1234567890": true, "0123456789": true, "9876543210": true, "12345678910": true, "123456789a": true,
	"a123456789": true, "1qaz2wsx3edc": true, "qwertyuiop": true, "1q2w3e4r5t": true, "asdfghjkl;": true,
	"password123": true, "password12": true, "passw0rd123": true, "iloveyou123": true, "woaini1314": true,
	"woaini520520": true, "5201314520": true, "1314520520": true, "abc1234567": true, "abcd123456": true,
	"admin12345": true, "admin123456": true, "qwer123456": true, "zxcvbnm123": true, "aa123456789": true,
	"qq123456789": true, "asd123456789": true, "p@ssw0rd123": true, "administrator": true,
	"zaq12wsxcde3": true, "qwertyuiop123": true, "citygrid123": true, "chengguan123": true,
}

// Check applies the password policy to a new password for user,
// returning a *data.ValidationError on field "password" that says what
// to change. It never echoes the password.
func Check(user, password string) error {
	bad := func(reason string) error { return &data.ValidationError{Field: "password", Reason: reason} }
	if !utf8.ValidString(password) {
		return bad("must be valid UTF-8 text")
	}
	n := utf8.RuneCountInString(password)
	if n < MinLength {
		return bad(fmt.Sprintf("must be at least %d characters", MinLength))
	}
	if len(password) > MaxBytes {
		return bad(fmt.Sprintf("must be at most %d bytes", MaxBytes))
	}
	for _, r := range password {
		if unicode.IsControl(r) {
			return bad("must not contain control characters")
		}
	}
	lower := strings.ToLower(password)
	if u := strings.ToLower(strings.TrimSpace(user)); u != "" && strings.Contains(lower, u) {
		return bad("must not contain the user name")
	}
	if commonPasswords[lower] {
		return bad("is one of the most common passwords")
	}
	if trivial(lower) {
		return bad("is a repeated or sequential pattern")
	}
	return nil
}

// trivial reports whether s uses at most two distinct characters or runs
// up or down by one throughout ("aaaaaaaaaa", "abababab12" are not the
// same: the second has four).
func trivial(s string) bool {
	rs := []rune(s)
	distinct := map[rune]bool{}
	up, down := true, true
	for i, r := range rs {
		distinct[r] = true
		if i > 0 {
			up = up && r == rs[i-1]+1
			down = down && r == rs[i-1]-1
		}
	}
	return len(distinct) <= 2 || up || down
}

// alphabet has no characters that read alike (0/O, 1/l/I).
const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// Generate returns a random password of three groups of four
// characters ("xK7m-Qp2r-Zt9w", about 70 bits), easy to read off a screen
// and to type.
func Generate() (string, error) {
	var sb strings.Builder
	var b [32]byte
	for n := 0; n < 12; {
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("generate password: %w", err)
		}
		for _, c := range b {
			// Bytes from 224 up are dropped: 224 is 4 × 56, so every
			// character of the alphabet is equally likely.
			if n == 12 || int(c) >= 4*len(alphabet) {
				continue
			}
			if n > 0 && n%4 == 0 {
				sb.WriteByte('-')
			}
			sb.WriteByte(alphabet[int(c)%len(alphabet)])
			n++
		}
	}
	return sb.String(), nil
}
