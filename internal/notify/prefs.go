package notify

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event kinds a user chooses channels for. Confirmations (確定待ち) count
// as records. Message, mention and urgent are reserved for the team
// channel; mention and urgent pass quiet hours.
const (
	KindRecord  = "record"
	KindVisit   = "visit"
	KindAlert   = "alert"
	KindMessage = "message"
	KindMention = "mention"
	KindUrgent  = "urgent"
)

// EventKinds lists every event kind, in the order the settings show them.
var EventKinds = []string{KindRecord, KindVisit, KindAlert, KindMessage, KindMention, KindUrgent}

// Channels a user may choose per event kind.
const (
	ChannelPush  = "push"
	ChannelEmail = "email"
	ChannelBoth  = "both"
	ChannelNone  = "none"
)

// Tokyo is the time zone of quiet hours.
var Tokyo = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		return time.FixedZone("JST", 9*60*60) // Japan has no daylight saving time
	}
	return loc
}()

// Prefs are one user's notification preferences.
//
// Quiet hours (Asia/Tokyo, Start to End, wrapping midnight when End is not
// after Start): only urgent events and mentions get through. A push for
// anything else is dropped, not held: the app pulls what changed as soon
// as it is opened, and a lock screen full of last night's news helps no
// one. An e-mail for anything else is held until the end of the quiet
// hours and then leaves gathered with the rest into one message.
//
// EmailHourly gathers the e-mail of non-urgent events (not mentions, not
// urgent) into one message at the next full hour.
type Prefs struct {
	Kinds       map[string]string `json:"kinds"`
	Quiet       QuietHours        `json:"quiet_hours"`
	EmailHourly bool              `json:"email_hourly"`
}

// QuietHours is a daily span of local time, "HH:MM" each.
type QuietHours struct {
	Enabled bool   `json:"enabled"`
	Start   string `json:"start"`
	End     string `json:"end"`
}

// DefaultPrefs: every kind by push and e-mail — e-mail stays silent until
// the user verifies an address, so until then it is push only — no quiet
// hours, no gathering.
func DefaultPrefs() Prefs {
	p := Prefs{Kinds: map[string]string{}, Quiet: QuietHours{Start: "22:00", End: "07:00"}}
	for _, k := range EventKinds {
		p.Kinds[k] = ChannelBoth
	}
	return p
}

// ParsePrefs reads stored preferences ("" = the defaults); kinds missing
// from them take the default.
func ParsePrefs(s string) Prefs {
	p := DefaultPrefs()
	if s == "" {
		return p
	}
	var stored Prefs
	if err := json.Unmarshal([]byte(s), &stored); err != nil {
		return p
	}
	for k, v := range stored.Kinds {
		if _, ok := p.Kinds[k]; ok && validChannel(v) {
			p.Kinds[k] = v
		}
	}
	if stored.Quiet.Validate() == nil {
		p.Quiet = stored.Quiet
	}
	p.EmailHourly = stored.EmailHourly
	return p
}

// Encode is the stored form.
func (p Prefs) Encode() string {
	b, _ := json.Marshal(p)
	return string(b)
}

func validChannel(c string) bool {
	return c == ChannelPush || c == ChannelEmail || c == ChannelBoth || c == ChannelNone
}

// ValidChannel reports whether c is one of the channels.
func ValidChannel(c string) bool { return validChannel(c) }

// parseClock reads "HH:MM" as minutes after midnight.
func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, fmt.Errorf("want HH:MM")
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Validate checks the span: two "HH:MM" times that differ.
func (q QuietHours) Validate() error {
	s, err := parseClock(q.Start)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	e, err := parseClock(q.End)
	if err != nil {
		return fmt.Errorf("end: %w", err)
	}
	if s == e {
		return fmt.Errorf("end: must differ from start")
	}
	return nil
}

// Until reports whether at falls in the quiet hours and, if so, the
// instant they end.
func (q QuietHours) Until(at time.Time) (bool, time.Time) {
	if !q.Enabled {
		return false, time.Time{}
	}
	s, err1 := parseClock(q.Start)
	e, err2 := parseClock(q.End)
	if err1 != nil || err2 != nil || s == e {
		return false, time.Time{}
	}
	local := at.In(Tokyo)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, Tokyo)
	m := local.Hour()*60 + local.Minute()
	endAt := func(dayOffset int) time.Time {
		return midnight.AddDate(0, 0, dayOffset).Add(time.Duration(e) * time.Minute)
	}
	if s < e { // within one day
		if m >= s && m < e {
			return true, endAt(0)
		}
		return false, time.Time{}
	}
	switch { // wraps midnight
	case m >= s:
		return true, endAt(1)
	case m < e:
		return true, endAt(0)
	}
	return false, time.Time{}
}

// Route is how one event of kind reaches a user at now: by push, by
// e-mail, and when the e-mail leaves (now, or later gathered with others).
type Route struct {
	Push    bool
	Email   bool
	EmailAt time.Time // when Email: not before this
	Gather  bool      // when Email: leaves with the user's other mail due then
}

// Route applies p to an event of kind at now.
func (p Prefs) Route(kind string, now time.Time) Route {
	ch, ok := p.Kinds[kind]
	if !ok {
		ch = ChannelBoth
	}
	r := Route{Push: ch == ChannelPush || ch == ChannelBoth, Email: ch == ChannelEmail || ch == ChannelBoth, EmailAt: now}
	if kind == KindUrgent || kind == KindMention {
		return r
	}
	if quiet, end := p.Quiet.Until(now); quiet {
		r.Push = false
		r.EmailAt, r.Gather = end, true
	}
	if r.Email && p.EmailHourly {
		next := now.Truncate(time.Hour).Add(time.Hour)
		if next.After(r.EmailAt) {
			r.EmailAt = next
		}
		r.Gather = true
	}
	return r
}
