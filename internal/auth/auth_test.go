package auth_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/auth"
)

func TestHashVerify(t *testing.T) {
	h := auth.NewHasher(2)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$") {
		t.Fatalf("not a PHC argon2id string: %s", enc)
	}
	if err := h.Verify(ctx, enc, "correct horse battery staple"); err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if err := h.Verify(ctx, enc, "correct horse battery stapler"); !errors.Is(err, auth.ErrMismatch) {
		t.Fatalf("wrong password: got %v", err)
	}
	if err := h.Verify(ctx, "", "anything"); !errors.Is(err, auth.ErrMismatch) {
		t.Fatalf("unknown account must mismatch, got %v", err)
	}
	enc2, _ := h.Hash(ctx, "correct horse battery staple")
	if enc2 == enc {
		t.Fatal("two hashes of one password share a salt")
	}
}

func TestPasswordPolicy(t *testing.T) {
	p := auth.PasswordPolicy{MinLength: 12}
	cases := map[string]string{
		"short1!":                  "too_short",
		"password1234":             "guessable",
		"Password123!":             "guessable",
		"qwertyuiop12":             "guessable", // a keyboard row
		"iloveyou1234":             "guessable",
		"1234567890ab":             "guessable",
		"aaaaaaaaaaaaaaa":          "guessable",
		"abcabcabcabcabc":          "guessable",
		strings.Repeat("a", 300):   "too_long",
		strings.Repeat("ab1-", 60): "guessable", // judged on its first 64 characters
		"tsunagutsunagu":           "guessable", // the service's name
		"yuzuriha19800101":         "guessable", // the user's own name and a date
		"nurse.sato-hoge!x":        "contains_login_id",
		"紫陽花の咲く坂道を上る午後":            "",
		"river-lantern-stone-42":   "",
		"kagami-mochi-2026!":       "",
		"tsunagu-demo-2026":        "", // the demo region's password (internal/demo)
		strings.Repeat("xyz1", 70): "too_long",
	}
	for pw, want := range cases {
		if got := p.Problem(pw, "nurse.sato", "Yuzuriha Kotone", "ユズリハ コトネ"); got != want {
			t.Errorf("Problem(%q) = %q, want %q", pw, got, want)
		}
	}
	if got := p.Problem("yuzuriha19800101", "nurse.sato"); got != "" {
		t.Errorf("without the name as user input the name is not known: %q", got)
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	p.MaxAge = 90 * 24 * time.Hour
	if p.Expired(now.AddDate(0, 0, -89), now) {
		t.Error("89 days old must not be expired")
	}
	if !p.Expired(now.AddDate(0, 0, -90), now) {
		t.Error("90 days old must be expired")
	}
	p.MaxAge = 0
	if p.Expired(now.AddDate(-5, 0, 0), now) {
		t.Error("MaxAge 0 means no expiry")
	}
}

func TestTOTPReplay(t *testing.T) {
	secret, url, err := auth.NewTOTPSecret("Tsunagu", "nurse.sato")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "otpauth://totp/") {
		t.Fatalf("url %q", url)
	}
	now := time.Date(2026, 11, 21, 9, 0, 10, 0, time.UTC)
	code, _ := auth.TOTPCode(secret, now)
	step, err := auth.CheckTOTP(secret, code, now, 0)
	if err != nil {
		t.Fatalf("fresh code refused: %v", err)
	}
	if _, err := auth.CheckTOTP(secret, code, now.Add(5*time.Second), step); !errors.Is(err, auth.ErrTOTPReplayed) {
		t.Fatalf("replayed code: got %v", err)
	}
	// The previous step's code is accepted for skew, but not after a later one was used.
	prev, _ := auth.TOTPCode(secret, now.Add(-30*time.Second))
	if _, err := auth.CheckTOTP(secret, prev, now, step); !errors.Is(err, auth.ErrTOTPReplayed) {
		t.Fatalf("older code after newer: got %v", err)
	}
	if _, err := auth.CheckTOTP(secret, "000000", now, 0); err == nil && code != "000000" {
		t.Fatal("wrong code accepted")
	}
	old, _ := auth.TOTPCode(secret, now.Add(-5*time.Minute))
	if _, err := auth.CheckTOTP(secret, old, now, 0); !errors.Is(err, auth.ErrTOTPInvalid) {
		t.Fatalf("5-minute-old code: got %v", err)
	}
}

func TestTokens(t *testing.T) {
	a, ha := auth.NewToken()
	b, _ := auth.NewToken()
	if a == b || len(a) < 40 {
		t.Fatal("tokens must be long and unique")
	}
	if auth.HashToken(a) != ha || ha == a {
		t.Fatal("hash must be stable and differ from the token")
	}
}

// BenchmarkPasswordProblem measures the strength estimate's cost per call
// (it runs on every password set, beside an argon2id hash of ~50 ms).
func BenchmarkPasswordProblem(b *testing.B) {
	p := auth.PasswordPolicy{MinLength: 12}
	for _, pw := range []string{"river-lantern-stone-42", "correct horse battery staple and a much longer tail of words 1234", strings.Repeat("qz8!x", 51)} {
		b.Run(strconv.Itoa(len(pw)), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				p.Problem(pw, "nurse.sato", "Yuzuriha Kotone", "ユズリハ コトネ")
			}
		})
	}
}
