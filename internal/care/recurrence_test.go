package care_test

import (
	"strings"
	"testing"
	"time"

	"tsunagu/internal/care"
)

var tokyo = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		panic(err)
	}
	return loc
}()

func jst(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, tokyo)
	if err != nil {
		panic(err)
	}
	return t
}

func day(s string) time.Time { return jst(s + " 00:00") }

func TestOccurrences(t *testing.T) {
	weekly := func(by string, interval int, until string, count int) care.Recurrence {
		return care.Recurrence{Freq: care.FreqWeekly, Interval: interval, ByDay: strings.Split(by, ","), Until: until, Count: count}
	}
	cases := []struct {
		name     string
		r        care.Recurrence
		first    care.Span
		from, to time.Time
		want     []string // starts, "2006-01-02 15:04" in Tokyo
	}{
		{"Mon/Thu across November", weekly("MO,TH", 1, "2026-12-31", 0),
			care.Span{jst("2026-11-02 10:00"), jst("2026-11-02 10:45")}, day("2026-11-01"), day("2026-12-01"),
			[]string{"2026-11-02 10:00", "2026-11-05 10:00", "2026-11-09 10:00", "2026-11-12 10:00", "2026-11-16 10:00",
				"2026-11-19 10:00", "2026-11-23 10:00", "2026-11-26 10:00", "2026-11-30 10:00"}},
		{"every two weeks, count 3, range cuts the last", weekly("TU", 2, "", 3),
			care.Span{jst("2026-11-03 14:00"), jst("2026-11-03 15:00")}, day("2026-11-01"), day("2026-12-01"),
			[]string{"2026-11-03 14:00", "2026-11-17 14:00"}},
		{"count counts from the series start, not the range", weekly("MO,TH", 1, "", 5),
			care.Span{jst("2026-11-02 10:00"), jst("2026-11-02 10:45")}, day("2026-11-10"), day("2026-12-31"),
			[]string{"2026-11-12 10:00", "2026-11-16 10:00"}},
		{"until is inclusive", weekly("FR", 1, "2026-11-20", 0),
			care.Span{jst("2026-11-06 09:00"), jst("2026-11-06 09:30")}, day("2026-11-01"), day("2027-01-01"),
			[]string{"2026-11-06 09:00", "2026-11-13 09:00", "2026-11-20 09:00"}},
		{"start mid-week: the first chosen day on or after it", weekly("MO,TH", 1, "", 3),
			care.Span{jst("2026-11-04 10:00"), jst("2026-11-04 11:00")}, day("2026-11-01"), day("2026-12-01"),
			[]string{"2026-11-05 10:00", "2026-11-09 10:00", "2026-11-12 10:00"}},
		{"early morning JST is the previous day in UTC; days are Tokyo's", weekly("MO", 1, "", 2),
			care.Span{jst("2026-11-02 08:30"), jst("2026-11-02 09:00")}, day("2026-11-01"), day("2026-12-01"),
			[]string{"2026-11-02 08:30", "2026-11-09 08:30"}},
		{"multi-day entry overlapping the range start is included", weekly("SA", 1, "", 4),
			care.Span{day("2026-11-07"), day("2026-11-09")}, day("2026-11-15"), day("2026-11-22"),
			[]string{"2026-11-14 00:00", "2026-11-21 00:00"}},
		{"range far after the start of an until series", weekly("WE", 3, "2027-12-31", 0),
			care.Span{jst("2026-11-04 13:00"), jst("2026-11-04 14:00")}, day("2027-06-01"), day("2027-07-01"),
			[]string{"2027-06-02 13:00", "2027-06-23 13:00"}},
		{"range before the series", weekly("MO", 1, "", 10),
			care.Span{jst("2026-11-02 10:00"), jst("2026-11-02 11:00")}, day("2026-10-01"), day("2026-11-01"), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.r.Validate(); err != nil {
				t.Fatalf("rule invalid: %v", err)
			}
			got := care.Occurrences(c.r, c.first, tokyo, c.from, c.to)
			var starts []string
			for _, o := range got {
				starts = append(starts, o.Start.In(tokyo).Format("2006-01-02 15:04"))
				if d, want := o.End.Sub(o.Start), c.first.End.Sub(c.first.Start); d != want {
					t.Errorf("occurrence %s lasts %v, want %v", o.Start, d, want)
				}
			}
			if strings.Join(starts, "|") != strings.Join(c.want, "|") {
				t.Fatalf("starts\n got %v\nwant %v", starts, c.want)
			}
		})
	}
}

func TestTokyoWallClockInUTC(t *testing.T) {
	r := care.Recurrence{Freq: care.FreqWeekly, Interval: 1, ByDay: []string{"MO"}, Count: 3}
	occ := care.Occurrences(r, care.Span{jst("2026-11-02 10:00"), jst("2026-11-02 10:45")}, tokyo, day("2026-11-01"), day("2026-12-01"))
	for _, o := range occ {
		if got := o.Start.UTC().Format("15:04"); got != "01:00" {
			t.Errorf("10:00 JST occurrence at %s UTC, want 01:00", got)
		}
	}
}

func TestSeriesEndAndIsOccurrence(t *testing.T) {
	first := care.Span{jst("2026-11-02 10:00"), jst("2026-11-02 10:45")}
	r := care.Recurrence{Freq: care.FreqWeekly, Interval: 1, ByDay: []string{"MO", "TH"}, Count: 4}
	if got, want := care.SeriesEnd(r, first, tokyo), jst("2026-11-12 10:45"); !got.Equal(want) {
		t.Fatalf("SeriesEnd = %v, want %v", got, want)
	}
	r = care.Recurrence{Freq: care.FreqWeekly, Interval: 2, ByDay: []string{"MO"}, Until: "2026-11-30"}
	if got, want := care.SeriesEnd(r, first, tokyo), jst("2026-11-30 10:45"); !got.Equal(want) {
		t.Fatalf("SeriesEnd = %v, want %v", got, want)
	}
	for _, c := range []struct {
		at   time.Time
		want bool
	}{{jst("2026-11-16 10:00"), true}, {jst("2026-11-09 10:00"), false}, {jst("2026-11-16 10:01"), false}, {jst("2026-12-14 10:00"), false}} {
		if got := care.IsOccurrence(r, first, tokyo, c.at); got != c.want {
			t.Errorf("IsOccurrence(%v) = %v, want %v", c.at, got, c.want)
		}
	}
}

func TestRecurrenceValidate(t *testing.T) {
	ok := care.Recurrence{Freq: "weekly", Interval: 1, ByDay: []string{"MO"}, Count: 1}
	cases := []struct {
		name  string
		mod   func(*care.Recurrence)
		field string
	}{
		{"valid", func(*care.Recurrence) {}, ""},
		{"daily", func(r *care.Recurrence) { r.Freq = "daily" }, "recurrence.freq"},
		{"interval 9", func(r *care.Recurrence) { r.Interval = 9 }, "recurrence.interval"},
		{"no days", func(r *care.Recurrence) { r.ByDay = nil }, "recurrence.by_day"},
		{"bad day", func(r *care.Recurrence) { r.ByDay = []string{"MON"} }, "recurrence.by_day"},
		{"repeated day", func(r *care.Recurrence) { r.ByDay = []string{"MO", "MO"} }, "recurrence.by_day"},
		{"both until and count", func(r *care.Recurrence) { r.Until = "2027-01-01" }, "recurrence"},
		{"neither", func(r *care.Recurrence) { r.Count = 0 }, "recurrence"},
		{"count 201", func(r *care.Recurrence) { r.Count = 201 }, "recurrence.count"},
		{"bad until", func(r *care.Recurrence) { r.Count, r.Until = 0, "2027-13-01" }, "recurrence.until"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ok
			c.mod(&r)
			err := r.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			ce, isCare := err.(*care.Error)
			if !isCare || ce.Field != c.field {
				t.Fatalf("got %v, want a validation error on %s", err, c.field)
			}
		})
	}
}
