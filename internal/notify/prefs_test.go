package notify_test

import (
	"testing"
	"time"

	"tsunagu/internal/notify"
)

func jst(h, m int) time.Time { return time.Date(2026, 11, 21, h, m, 0, 0, notify.Tokyo) }

// TestPrefsRoute: quiet hours (wrapping midnight or not) drop the push and
// hold the e-mail of ordinary events to their end, gathered; urgent events
// and mentions pass; hourly gathering holds e-mail to the next full hour;
// the channel of each kind is honoured.
func TestPrefsRoute(t *testing.T) {
	p := notify.DefaultPrefs()
	p.Quiet = notify.QuietHours{Enabled: true, Start: "22:00", End: "07:00"}
	for _, c := range []struct {
		at      time.Time
		kind    string
		push    bool
		emailAt time.Time
		gather  bool
	}{
		{jst(21, 59), notify.KindRecord, true, jst(21, 59), false},
		{jst(22, 0), notify.KindRecord, false, jst(7, 0).AddDate(0, 0, 1), true},
		{jst(23, 30), notify.KindVisit, false, jst(7, 0).AddDate(0, 0, 1), true},
		{jst(3, 0), notify.KindMessage, false, jst(7, 0), true},
		{jst(6, 59), notify.KindAlert, false, jst(7, 0), true},
		{jst(7, 0), notify.KindRecord, true, jst(7, 0), false},
		{jst(3, 0), notify.KindUrgent, true, jst(3, 0), false},
		{jst(23, 0), notify.KindMention, true, jst(23, 0), false},
	} {
		r := p.Route(c.kind, c.at)
		if r.Push != c.push || !r.Email || !r.EmailAt.Equal(c.emailAt) || r.Gather != c.gather {
			t.Errorf("%s at %s: %+v", c.kind, c.at.Format("15:04"), r)
		}
	}
	// Not wrapping midnight.
	p.Quiet = notify.QuietHours{Enabled: true, Start: "12:00", End: "13:30"}
	if r := p.Route(notify.KindRecord, jst(12, 10)); r.Push || !r.EmailAt.Equal(jst(13, 30)) {
		t.Errorf("lunch: %+v", r)
	}
	if r := p.Route(notify.KindRecord, jst(13, 30)); !r.Push || r.Gather {
		t.Errorf("after lunch: %+v", r)
	}
	// Off: nothing held.
	p.Quiet.Enabled = false
	if r := p.Route(notify.KindRecord, jst(12, 10)); !r.Push || r.Gather {
		t.Errorf("quiet hours off: %+v", r)
	}
	// Hourly gathering: not for urgent or mentions.
	p.EmailHourly = true
	if r := p.Route(notify.KindRecord, jst(10, 5)); !r.Push || !r.Gather || !r.EmailAt.Equal(jst(11, 0)) {
		t.Errorf("hourly: %+v", r)
	}
	if r := p.Route(notify.KindUrgent, jst(10, 5)); r.Gather || !r.EmailAt.Equal(jst(10, 5)) {
		t.Errorf("hourly urgent: %+v", r)
	}
	// Channels.
	p.EmailHourly = false
	for ch, want := range map[string][2]bool{notify.ChannelPush: {true, false}, notify.ChannelEmail: {false, true}, notify.ChannelBoth: {true, true}, notify.ChannelNone: {false, false}} {
		p.Kinds[notify.KindVisit] = ch
		if r := p.Route(notify.KindVisit, jst(10, 0)); r.Push != want[0] || r.Email != want[1] {
			t.Errorf("channel %s: %+v", ch, r)
		}
	}
}

// TestParsePrefs: stored preferences round-trip; unknown or bad values
// fall back to the defaults.
func TestParsePrefs(t *testing.T) {
	p := notify.DefaultPrefs()
	p.Kinds[notify.KindRecord] = notify.ChannelNone
	p.Quiet = notify.QuietHours{Enabled: true, Start: "21:00", End: "06:30"}
	p.EmailHourly = true
	got := notify.ParsePrefs(p.Encode())
	if got.Kinds[notify.KindRecord] != notify.ChannelNone || got.Kinds[notify.KindUrgent] != notify.ChannelBoth || !got.Quiet.Enabled || got.Quiet.End != "06:30" || !got.EmailHourly {
		t.Fatalf("round trip: %+v", got)
	}
	bad := notify.ParsePrefs(`{"kinds":{"record":"sms","fax":"push"},"quiet_hours":{"enabled":true,"start":"7","end":"x"}}`)
	if bad.Kinds[notify.KindRecord] != notify.ChannelBoth || bad.Quiet.Enabled || len(bad.Kinds) != len(notify.EventKinds) {
		t.Fatalf("bad stored values: %+v", bad)
	}
	if notify.ParsePrefs("not json").Kinds[notify.KindAlert] != notify.ChannelBoth {
		t.Fatal("unreadable prefs")
	}
}
