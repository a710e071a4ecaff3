package care_test

import (
	"testing"
	"time"

	"tsunagu/internal/care"
)

func TestWipeDevice(t *testing.T) {
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	year := 365 * 24 * time.Hour
	for _, c := range []struct {
		name         string
		revoked      bool
		status       string
		lastActive   time.Time
		dormantAfter time.Duration
		want         bool
	}{
		{"active account, session ended", false, care.StatusActive, now.Add(-time.Hour), year, false},
		{"suspended", false, care.StatusSuspended, now, year, true},
		{"revoked", false, care.StatusRevoked, now, year, true},
		{"dormant", false, care.StatusDormant, now, year, true},
		{"device revoked, account active", true, care.StatusActive, now, year, true},
		{"unused past the dormancy limit, not yet marked", false, care.StatusActive, now.Add(-year), year, true},
		{"unused a day short of it", false, care.StatusActive, now.Add(-year + 24*time.Hour), year, false},
		{"dormancy off", false, care.StatusActive, now.Add(-10 * year), 0, false},
	} {
		if got := care.WipeDevice(c.revoked, c.status, c.lastActive, now, c.dormantAfter); got != c.want {
			t.Errorf("%s: wipe = %v, want %v", c.name, got, c.want)
		}
	}
}
