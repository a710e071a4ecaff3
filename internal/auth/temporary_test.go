package auth

import (
	"strings"
	"testing"
)

func TestTemporaryPassword(t *testing.T) {
	policy := PasswordPolicy{MinLength: 12}
	seen := map[string]bool{}
	counts := map[rune]int{}
	for i := 0; i < 200; i++ {
		pw := TemporaryPassword(12)
		if seen[pw] {
			t.Fatalf("repeated %q", pw)
		}
		seen[pw] = true
		if len(pw) != 19 || strings.Count(pw, "-") != 3 {
			t.Fatalf("shape of %q", pw)
		}
		for _, r := range strings.ReplaceAll(pw, "-", "") {
			if !strings.ContainsRune(temporaryAlphabet, r) {
				t.Fatalf("%q has %q", pw, r)
			}
			counts[r]++
		}
		if reason := policy.Problem(pw, "nurse.sato", "佐藤 花子", "サトウ ハナコ"); reason != "" {
			t.Fatalf("%q refused by the policy: %s", pw, reason)
		}
	}
	for _, r := range "0Oo1lI" {
		if strings.ContainsRune(temporaryAlphabet, r) {
			t.Errorf("alphabet has the ambiguous %q", r)
		}
	}
	// 200 × 16 draws from 56 symbols: each is seen (a biased or constant
	// source would miss some).
	if len(counts) != len(temporaryAlphabet) {
		t.Errorf("only %d of %d symbols drawn", len(counts), len(temporaryAlphabet))
	}
	// A longer minimum gets more groups.
	if pw := TemporaryPassword(30); len(pw) < 30 || (len(pw)+1)%(TemporaryPasswordGroup+1) != 0 {
		t.Errorf("min 30: %q", pw)
	}
}
