package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"tsunagu/internal/audit"
	"tsunagu/internal/auth"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// visitKindLabels is the Japanese catalogue of visit kinds for the feed's
// event titles (calendar apps show them as they are).
var visitKindLabels = map[string]string{
	care.VisitNurse:               "訪問看護",
	care.VisitDoctor:              "訪問診療",
	care.VisitPharmacist:          "訪問薬剤管理",
	care.VisitCareService:         "介護サービス",
	care.VisitCareConference:      "担当者会議",
	care.VisitHospitalAppointment: "通院",
	care.VisitOther:               "予定",
}

// visitStatusLabels marks the titles of occurrences that will not happen
// as planned.
var visitStatusLabels = map[string]string{
	care.VisitDone:      "（実施済）",
	care.VisitCancelled: "（中止）",
	care.VisitMissed:    "（未実施）",
}

// Feed window around now.
const (
	feedPast   = 30 * 24 * time.Hour
	feedFuture = 90 * 24 * time.Hour
)

type CalendarFeedURL struct {
	Body struct {
		URL string `json:"url" doc:"the user's iCalendar feed; the token in it is the only credential, so treat it as a password"`
	}
}

// createCalendarFeed makes (or rotates) the caller's feed token; only its
// hash is stored, and the old URL stops working at once.
func (s *Server) createCalendarFeed(ctx context.Context, _ *struct{}) (*CalendarFeedURL, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	tok, hash := auth.NewToken()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.SetCalendarFeed(ctx, pr.User.ID, hash, s.now()); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "calendar.feed_create", "", "calendar_feed", pr.User.ID))
	})
	if err != nil {
		return nil, err
	}
	out := &CalendarFeedURL{}
	out.Body.URL = s.origin() + "/calendar/" + tok + ".ics"
	return out, nil
}

// deleteCalendarFeed revokes the caller's feed.
func (s *Server) deleteCalendarFeed(ctx context.Context, _ *struct{}) (*struct{}, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	return nil, s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteCalendarFeed(ctx, pr.User.ID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "calendar.feed_revoke", "", "calendar_feed", pr.User.ID))
	})
}

// origin is the configured public origin (Options.PublicURL) that every
// absolute URL the server makes starts with. It never comes from the
// request: a forged Host header must not turn a feed URL (a credential)
// or a link in it toward another site.
func (s *Server) origin() string { return s.opt.PublicURL }

type CalendarFeedInput struct {
	Token string `path:"token" maxLength:"100" doc:"the feed token (the path ends in .ics)"`
}

type CalendarFeedOutput struct {
	ContentType  string `header:"Content-Type"`
	CacheControl string `header:"Cache-Control"`
	Body         []byte
}

// calendarFeed serves a user's visits (−30 … +90 days) as iCalendar, to
// calendar apps that cannot sign in: the token authorises. It carries no
// patient data at all — a kind and a time, and a link into the app, which
// asks for a session. An unknown or revoked token, or an account that is
// not active, answers 404 like any unknown path.
func (s *Server) calendarFeed(ctx context.Context, in *CalendarFeedInput) (*CalendarFeedOutput, error) {
	now := s.now()
	from, to := now.Add(-feedPast), now.Add(feedFuture)
	var list []MyVisitOut
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		userID, err := tx.CalendarFeedUser(ctx, auth.HashToken(in.Token))
		if err != nil {
			return err
		}
		u, err := tx.User(ctx, userID)
		if err != nil {
			return err
		}
		if u.Status != care.StatusActive {
			return care.ErrNotFound
		}
		pr := &Principal{User: u, Viewer: viewerOf(u)}
		vs, err := tx.AssignedVisits(ctx, u.ID, from, to)
		if err != nil {
			return err
		}
		var events []*audit.Event
		list, events, err = s.reachableVisits(ctx, tx, pr, vs, from, to, "calendar.feed")
		if err != nil {
			return err
		}
		list = assignedTo(list, u.ID)
		if len(events) == 0 {
			events = append(events, s.event(ctx, pr, "calendar.feed", "", "calendar_feed", u.ID))
		}
		for _, e := range events {
			e.ResourceType, e.ResourceID = "calendar_feed", u.ID
		}
		return audit.Append(ctx, tx, events...)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, care.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	occ := make([]VisitOut, len(list))
	for i, v := range list {
		occ[i] = v.VisitOut
	}
	return &CalendarFeedOutput{ContentType: "text/calendar; charset=utf-8", CacheControl: "private, no-store",
		Body: icsCalendar(now, s.origin(), occ)}, nil
}

// icsCalendar renders occurrences as an RFC 5545 calendar: CRLF line
// ends, lines folded at 75 octets, text escaped, times in UTC (all-day
// entries as dates). Each event names only the kind and the time; its UID
// is stable per occurrence (series id and original start).
func icsCalendar(now time.Time, origin string, occ []VisitOut) []byte {
	var b strings.Builder
	line := func(s string) { writeFolded(&b, s) }
	utc := func(t time.Time) string { return t.UTC().Format("20060102T150405Z") }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//Tsunagu//Visit calendar//JA")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	line("X-WR-CALNAME:" + icsText("つなぐ 訪問予定"))
	for _, o := range occ {
		key := o.StartsAt
		if o.OccurrenceStart != nil {
			key = *o.OccurrenceStart
		}
		label := visitKindLabels[o.Kind]
		var when string
		if o.AllDay {
			when = "終日"
		} else {
			s, e := o.StartsAt.In(tokyo), o.EndsAt.In(tokyo)
			when = s.Format("15:04") + "–" + e.Format("15:04")
			if daysFrom(s, e) > 0 {
				when = s.Format("1/2 15:04") + "–" + e.Format("1/2 15:04")
			}
		}
		line("BEGIN:VEVENT")
		line("UID:" + o.ID + "-" + utc(key) + "@tsunagu")
		line("DTSTAMP:" + utc(now))
		if o.AllDay {
			line("DTSTART;VALUE=DATE:" + o.StartsAt.In(tokyo).Format("20060102"))
			line("DTEND;VALUE=DATE:" + o.EndsAt.In(tokyo).Format("20060102"))
		} else {
			line("DTSTART:" + utc(o.StartsAt))
			line("DTEND:" + utc(o.EndsAt))
		}
		line("SUMMARY:" + icsText(label+" "+when+visitStatusLabels[o.Status]))
		if o.Status == care.VisitCancelled || o.Status == care.VisitMissed {
			line("STATUS:CANCELLED")
		} else {
			line("STATUS:CONFIRMED")
		}
		line(fmt.Sprintf("SEQUENCE:%d", o.Version))
		line("URL:" + origin + "/#/visits/" + o.ID)
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	return []byte(b.String())
}

// icsText escapes a TEXT value (RFC 5545 §3.3.11). A content line holds
// only valid UTF-8 and no control character but HTAB, so invalid bytes
// become U+FFFD and other control characters are dropped.
func icsText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\r' && r != '\n' || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return icsEscaper.Replace(s)
}

var icsEscaper = strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)

// writeFolded writes one content line, folded so that no line exceeds 75
// octets (continuations start with a space) and never inside a UTF-8
// sequence, ended by CRLF.
func writeFolded(b *strings.Builder, s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}

// calendarFeedResponses documents the feed's body, which is not JSON.
var calendarFeedResponses = map[string]*huma.Response{
	"200": {Description: "The user's visits as iCalendar (RFC 5545), without patient data",
		Content: map[string]*huma.MediaType{"text/calendar": {Schema: &huma.Schema{Type: "string"}}}},
}
