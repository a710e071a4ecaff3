package api

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// FuzzICSCalendar builds a visit from fuzzed fields (kind, status, note,
// times, all-day, a weekly recurrence, version), keeps it only when the
// API would accept it (validSpan, validRecurrence), expands it as the feed
// does and writes the feed. The output must be valid iCalendar (checkICS:
// CRLF line ends, lines folded at 75 octets without splitting a UTF-8
// sequence, no control characters, escaped TEXT, well-formed dates), and
// must not depend on the note: the feed carries no patient data. Any text
// written as a TEXT value must come back unchanged after unfolding and
// unescaping, less the control characters iCalendar cannot carry.
//
// Times are drawn from 1900–2100: the API refuses dates outside its range,
// and iCalendar cannot write a year beyond 9999.
func FuzzICSCalendar(f *testing.F) {
	base := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	span := time.Date(2100, 12, 31, 0, 0, 0, 0, time.UTC).Sub(base)
	f.Fuzz(func(t *testing.T, kind, status, note, text string, startMin int64, durMin int32, allDay bool,
		interval uint8, byDay, until string, count uint8, version uint16) {
		start := base.Add(time.Duration(uabs(startMin)%uint64(span/time.Minute)) * time.Minute)
		dur := time.Duration(uabs(int64(durMin))%uint64(maxVisitLength/time.Minute)+1) * time.Minute
		if allDay {
			y, m, d := start.In(tokyo).Date()
			start = time.Date(y, m, d, 0, 0, 0, 0, tokyo)
			dur = time.Duration(uabs(int64(durMin))%92+1) * 24 * time.Hour
		}
		end := start.Add(dur)
		if allDay { // whole days in Tokyo (no daylight saving there since 1951, but be exact)
			y, m, d := start.AddDate(0, 0, int(dur/(24*time.Hour))).Date()
			end = time.Date(y, m, d, 0, 0, 0, 0, tokyo)
		}
		v := store.Visit{ID: "01900000-0000-7000-8000-0000000000a1", PatientID: "01900000-0000-7000-8000-0000000000b1", Kind: kind,
			StartsAt: store.UTC(start), EndsAt: store.UTC(end), AllDay: allDay, Note: note, Status: status, Version: int64(version)}
		if byDay != "" {
			v.Recurrence = &care.Recurrence{Freq: care.FreqWeekly, Interval: int(interval), ByDay: strings.Split(byDay, ","), Until: until, Count: int(count)}
		}
		if validSpan(v.StartsAt, v.EndsAt, v.AllDay) != nil || validRecurrence(v.Recurrence, v.StartsAt) != nil {
			return // the API refuses this visit
		}
		from, to := start.Add(-24*time.Hour), start.Add(400*24*time.Hour)
		now := time.Date(2026, 11, 21, 0, 30, 0, 0, time.UTC)
		ics := icsCalendar(now, "https://tsunagu.example", occurrences(v, from, to))
		if err := checkICS(ics); err != nil {
			t.Fatalf("%v\n%s", err, ics)
		}
		blank := v
		blank.Note = ""
		if string(icsCalendar(now, "https://tsunagu.example", occurrences(blank, from, to))) != string(ics) {
			t.Fatal("the feed changes with the visit's note: it must carry no patient data")
		}

		var b strings.Builder
		writeFolded(&b, "SUMMARY:"+icsText(text))
		line := []byte(b.String())
		if err := checkICSLines(line); err != nil {
			t.Fatalf("text %q: %v\n%q", text, err, line)
		}
		unfolded := strings.TrimSuffix(strings.ReplaceAll(string(line), "\r\n ", ""), "\r\n")
		got, err := icsUnescape(strings.TrimPrefix(unfolded, "SUMMARY:"))
		if err != nil {
			t.Fatalf("text %q: %v", text, err)
		}
		if want := icsPlain(text); got != want {
			t.Fatalf("text %q comes back as %q, want %q", text, got, want)
		}
	})
}

func uabs(n int64) uint64 {
	if n < 0 {
		return uint64(-(n + 1)) + 1
	}
	return uint64(n)
}

// icsPlain is what a TEXT value of s can say: valid UTF-8, line breaks as
// LF, no other control characters.
func icsPlain(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f) {
			return -1
		}
		return r
	}, s)
}

// icsUnescape reverses TEXT escaping (RFC 5545 §3.3.11); an unescaped
// ";" or "," or a backslash before anything else is an error.
func icsUnescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ';', ',':
			return "", fmt.Errorf("unescaped %q in TEXT at %d", c, i)
		case '\\':
			if i+1 == len(s) {
				return "", fmt.Errorf("TEXT ends in a backslash")
			}
			i++
			switch s[i] {
			case '\\', ';', ',':
				b.WriteByte(s[i])
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				return "", fmt.Errorf("bad escape \\%c in TEXT", s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// checkICSLines checks the physical lines of iCalendar data: each ends in
// CRLF, holds at most 75 octets of valid UTF-8 and no control character
// but HTAB, and continuation lines start with a space or a tab.
func checkICSLines(b []byte) error {
	s := string(b)
	if !strings.HasSuffix(s, "\r\n") {
		return fmt.Errorf("does not end in CRLF")
	}
	for i, l := range strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n") {
		if len(l) > 75 {
			return fmt.Errorf("line %d has %d octets", i+1, len(l))
		}
		if !utf8.ValidString(l) {
			return fmt.Errorf("line %d is not valid UTF-8 (a fold split a character?): %q", i+1, l)
		}
		if j := strings.IndexFunc(l, func(r rune) bool { return r != '\t' && (r < 0x20 || r == 0x7f) }); j >= 0 {
			return fmt.Errorf("line %d holds control character %q", i+1, l[j])
		}
		if l == "" {
			return fmt.Errorf("line %d is empty", i+1)
		}
	}
	return nil
}

var (
	icsContentLine = regexp.MustCompile(`^([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+=[^;:"]*)*):(.*)$`)
	icsDateTime    = regexp.MustCompile(`^\d{8}T\d{6}Z$`)
	icsDate        = regexp.MustCompile(`^\d{8}$`)
	icsInteger     = regexp.MustCompile(`^\d+$`)
)

// checkICS checks a whole feed: its lines (checkICSLines), content lines
// of the form NAME[;PARAM=VALUE]:VALUE, components that nest and close,
// events with UID, DTSTAMP and DTSTART, times in UTC or as dates with the
// end after the start, and escaped TEXT values.
func checkICS(b []byte) error {
	if err := checkICSLines(b); err != nil {
		return err
	}
	unfolded := strings.ReplaceAll(strings.TrimSuffix(string(b), "\r\n"), "\r\n ", "")
	var stack []string
	var ev map[string]string
	for _, l := range strings.Split(unfolded, "\r\n") {
		m := icsContentLine.FindStringSubmatch(l)
		if m == nil {
			return fmt.Errorf("not a content line: %q", l)
		}
		name, params, value := strings.ToUpper(m[1]), m[2], m[3]
		switch name {
		case "BEGIN":
			if len(stack) == 0 && value != "VCALENDAR" || len(stack) == 1 && value != "VEVENT" || len(stack) > 1 {
				return fmt.Errorf("BEGIN:%s inside %v", value, stack)
			}
			stack = append(stack, value)
			if value == "VEVENT" {
				ev = map[string]string{}
			}
			continue
		case "END":
			if len(stack) == 0 || stack[len(stack)-1] != value {
				return fmt.Errorf("END:%s closes %v", value, stack)
			}
			stack = stack[:len(stack)-1]
			if value == "VEVENT" {
				for _, p := range []string{"UID", "DTSTAMP", "DTSTART"} {
					if ev[p] == "" {
						return fmt.Errorf("an event without %s", p)
					}
				}
				if ev["DTEND"] != "" && ev["DTEND"] <= ev["DTSTART"] {
					return fmt.Errorf("event ends (%s) before it starts (%s)", ev["DTEND"], ev["DTSTART"])
				}
				ev = nil
			}
			continue
		}
		if len(stack) == 0 {
			return fmt.Errorf("%s outside the calendar", name)
		}
		switch name {
		case "DTSTART", "DTEND", "DTSTAMP":
			pattern := icsDateTime
			if params == ";VALUE=DATE" {
				pattern = icsDate
			} else if params != "" {
				return fmt.Errorf("%s with parameters %q", name, params)
			}
			if !pattern.MatchString(value) {
				return fmt.Errorf("%s value %q is not a %s", name, value, strings.TrimPrefix(params, ";VALUE="))
			}
		case "SUMMARY", "X-WR-CALNAME", "DESCRIPTION", "LOCATION":
			if _, err := icsUnescape(value); err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
		case "SEQUENCE":
			if !icsInteger.MatchString(value) {
				return fmt.Errorf("SEQUENCE %q is not a non-negative integer", value)
			}
		}
		if ev != nil {
			if _, dup := ev[name]; dup {
				return fmt.Errorf("an event with two %s", name)
			}
			ev[name] = value
		}
	}
	if len(stack) != 0 {
		return fmt.Errorf("unclosed %v", stack)
	}
	return nil
}

// TestCheckICSRefuses makes sure the fuzz target's checker can fail.
func TestCheckICSRefuses(t *testing.T) {
	good := "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20261121T003000Z\r\nDTSTART:20261121T010000Z\r\nDTEND:20261121T020000Z\r\nSUMMARY:a\\, b\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if err := checkICS([]byte(good)); err != nil {
		t.Fatalf("a valid calendar is refused: %v", err)
	}
	for name, bad := range map[string]string{
		"LF line ends":    strings.ReplaceAll(good, "\r\n", "\n"),
		"long line":       strings.Replace(good, "SUMMARY:a", "SUMMARY:"+strings.Repeat("a", 80), 1),
		"split character": strings.Replace(good, "SUMMARY:a", "SUMMARY:"+strings.Repeat("a", 65)+"\xe8\xa8\r\n \xaa", 1),
		"control":         strings.Replace(good, "SUMMARY:a", "SUMMARY:a\x1b", 1),
		"unescaped comma": strings.Replace(good, "a\\, b", "a, b", 1),
		"end before":      strings.Replace(good, "DTEND:20261121T020000Z", "DTEND:20261121T000000Z", 1),
		"year 10000":      strings.Replace(good, "DTSTART:20261121T010000Z", "DTSTART:100001121T010000Z", 1),
		"unclosed":        strings.TrimSuffix(good, "END:VCALENDAR\r\n"),
	} {
		if checkICS([]byte(bad)) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
