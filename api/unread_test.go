package api_test

import (
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store/storetest"
)

// TestUnreadCountsOnlySinceJoining: a member who joins a team sees the
// patient's history, but the unread badge counts only records written
// since they joined: they were never notified of the older ones, and a
// badge of the whole history would teach them to ignore badges. Leaving
// and joining again starts afresh.
func TestUnreadCountsOnlySinceJoining(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		unread := func(c *client) int { t.Helper(); return listedUnread(t, c, r.patientID) }
		note := func(text string) string {
			t.Helper()
			h.clock.Advance(time.Minute)
			return r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "text": text}).ID
		}
		note("退院後初回の訪問")
		note("服薬状況を確認")

		// A second nurse joins later: the history is readable, and
		// none of it is unread.
		h.clock.Advance(10 * time.Minute) // within the session idle time
		newcomer := h.mustUser(r.station, care.ProfNurse)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/team", map[string]any{"user_id": newcomer.ID, "role": "visiting_nurse"})
		nc := h.signIn(newcomer)
		var page timelineJSON
		nc.must(200, "GET", "/api/v1/patients/"+r.patientID+"/records", nil).json(t, &page)
		if len(page.Records) != 3 {
			t.Fatalf("the newcomer reads %d records of the history, want 3", len(page.Records))
		}
		if n := unread(nc); n != 0 {
			t.Fatalf("newcomer unread %d, want 0: records from before joining", n)
		}
		if n := unread(r.doctorC); n != 3 {
			t.Fatalf("doctor unread %d, want 3", n)
		}
		latest := note("夕方に発熱あり")
		if n := unread(nc); n != 1 {
			t.Fatalf("newcomer unread %d, want 1", n)
		}
		nc.must(200, "POST", "/api/v1/records/"+latest+"/read", nil)
		if n := unread(nc); n != 0 {
			t.Fatalf("newcomer unread after reading %d, want 0", n)
		}

		// The helper leaves with a note unread, misses one while away,
		// and comes back: only what is written after the return counts.
		if n := unread(r.helperC); n != 3 {
			t.Fatalf("helper unread %d, want 3 shared notes", n)
		}
		h.clock.Advance(5 * time.Minute)
		r.doctorC.must(204, "DELETE", "/api/v1/patients/"+r.patientID+"/team/"+r.helper.ID, nil)
		note("不在中の記録")
		h.clock.Advance(5 * time.Minute)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/team", map[string]any{"user_id": r.helper.ID, "role": "helper"})
		if n := unread(r.helperC); n != 0 {
			t.Fatalf("helper unread after rejoining %d, want 0", n)
		}
		note("再開後の記録")
		if n := unread(r.helperC); n != 1 {
			t.Fatalf("helper unread %d, want 1", n)
		}
	})
}
