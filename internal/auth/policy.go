package auth

import (
	_ "embed"
	"strings"
	"time"
	"unicode/utf8"
)

//go:embed common-passwords.txt
var commonPasswordList string

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordList, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// PasswordPolicy is the configured password rule set.
type PasswordPolicy struct {
	MinLength int           // in characters
	MaxAge    time.Duration // 0 = passwords do not expire
}

// Problem returns "" when password is acceptable for an account with
// login id loginID, or a short machine reason: "too_short", "too_long",
// "common", "contains_login_id".
func (p PasswordPolicy) Problem(password, loginID string) string {
	n := utf8.RuneCountInString(password)
	switch {
	case n < p.MinLength:
		return "too_short"
	case len(password) > 256:
		return "too_long"
	}
	lower := strings.ToLower(password)
	if commonPasswords[lower] || commonPasswords[strings.TrimRight(lower, "0123456789!")] || repetitive(lower) {
		return "common"
	}
	if loginID != "" && strings.Contains(lower, strings.ToLower(loginID)) {
		return "contains_login_id"
	}
	return ""
}

// Expired reports whether a password changed at changedAt has expired at now.
func (p PasswordPolicy) Expired(changedAt, now time.Time) bool {
	return p.MaxAge > 0 && !now.Before(changedAt.Add(p.MaxAge))
}

// repetitive catches "aaaaaaaaaaaa" and "abcabcabcabc": passwords made of
// one short unit repeated.
func repetitive(s string) bool {
	for unit := 1; unit <= 4 && unit < len(s); unit++ {
		if strings.Repeat(s[:unit], len(s)/unit+1)[:len(s)] == s {
			return true
		}
	}
	return false
}
