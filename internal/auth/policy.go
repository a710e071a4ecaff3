package auth

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
)

// PasswordPolicy is the configured password rule set.
type PasswordPolicy struct {
	MinLength int           // in characters
	MaxAge    time.Duration // 0 = passwords do not expire
}

// MinStrength is the lowest zxcvbn score (0–4) a password may have. 3 means
// an estimated 10^8 guesses or more: "safely unguessable" for an online
// attack that the sign-in throttle already slows down (NIST SP 800-63B
// 5.1.1.2 asks for a check against lists of known, expected or compromised
// values; zxcvbn's frequency lists, keyboard patterns, dates, repeats and
// sequences are that list, maintained upstream).
const MinStrength = 3

// appWords are words every account of this service could think of using.
var appWords = []string{"tsunagu", "つなぐ"}

// Problem returns "" when password is acceptable for the account with login
// id loginID (and the further user inputs, e.g. name and kana), or a short
// machine reason that names the broken rule and never the password:
// "too_short", "too_long", "contains_login_id", "guessable".
func (p PasswordPolicy) Problem(password, loginID string, userInputs ...string) string {
	n := utf8.RuneCountInString(password)
	switch {
	case n < p.MinLength:
		return "too_short"
	case len(password) > 256:
		return "too_long"
	}
	lower := strings.ToLower(password)
	if loginID != "" && strings.Contains(lower, strings.ToLower(loginID)) {
		return "contains_login_id"
	}
	if zxcvbn.PasswordStrength(head(password, strengthRunes), inputs(loginID, userInputs)).Score < MinStrength {
		return "guessable"
	}
	return ""
}

// strengthRunes bounds the part of a password the estimate looks at: its
// cost grows faster than the length (a 256-character password took ~450 ms,
// 64 characters take at most ~25 ms). A password whose first 64 characters
// are strong is strong.
const strengthRunes = 64

func head(s string, runes int) string {
	for i := range s {
		if runes == 0 {
			return s[:i]
		}
		runes--
	}
	return s
}

// inputs are the words zxcvbn treats as known to an attacker: the login id,
// the user's names, each also split into its parts ("nurse.sato" → "nurse",
// "sato"; "佐藤 花子" → "佐藤", "花子"), and the service's name.
func inputs(loginID string, more []string) []string {
	out := append([]string{}, appWords...)
	for _, s := range append([]string{loginID}, more...) {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" {
			continue
		}
		out = append(out, s)
		parts := strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) })
		if len(parts) > 1 {
			out = append(out, parts...)
		}
	}
	return out
}

// Expired reports whether a password changed at changedAt has expired at now.
func (p PasswordPolicy) Expired(changedAt, now time.Time) bool {
	return p.MaxAge > 0 && !now.Before(changedAt.Add(p.MaxAge))
}
