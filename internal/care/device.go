package care

import "time"

// WipeDevice reports whether an installed app must erase everything it holds
// (records, keys): its device was revoked, or its account may no longer sign
// in — suspended, revoked, dormant, or unused for dormantAfter (such an
// account becomes dormant at its next sign-in or the daily housekeeping;
// dormantAfter 0 turns dormancy off). An active account's device is never
// wiped: its session merely ended.
func WipeDevice(deviceRevoked bool, status string, lastActive, now time.Time, dormantAfter time.Duration) bool {
	switch {
	case deviceRevoked:
		return true
	case status != StatusActive:
		return true
	case dormantAfter > 0 && now.Sub(lastActive) >= dormantAfter:
		return true
	}
	return false
}
