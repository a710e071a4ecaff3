package care_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/care"
)

// TestExpansionIsBoundedByTheRange: reading a range of a series walks only
// the weeks of that range (plus a week at each side), whatever the series'
// end — including series stored before the two-year bound, with an until
// in year 9999 — and SeriesEnd walks only the last weeks of a series.
func TestExpansionIsBoundedByTheRange(t *testing.T) {
	first := care.Span{Start: jst("2026-12-07 10:00"), End: jst("2026-12-07 11:00")}
	window := func(from string, days int) (time.Time, time.Time) {
		f := jst(from + " 00:00")
		return f, f.AddDate(0, 0, days)
	}
	for _, c := range []struct {
		name       string
		r          care.Recurrence
		from       string
		days       int
		maxWeeks   int
		wantOccurs int
	}{
		{"until 9999, this month", care.Recurrence{Freq: "weekly", Interval: 1, ByDay: []string{"MO", "TH"}, Until: "9999-12-31"}, "2026-12-01", 31, 7, 8},
		{"until 9999, 62 days in 2031", care.Recurrence{Freq: "weekly", Interval: 1, ByDay: []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}, Until: "9999-12-31"}, "2031-03-01", 62, 11, 62},
		{"until 9999, 62 days in 9999", care.Recurrence{Freq: "weekly", Interval: 2, ByDay: []string{"MO"}, Until: "9999-12-31"}, "9999-10-01", 62, 11, 5},
		{"until 9999, range before the series", care.Recurrence{Freq: "weekly", Interval: 1, ByDay: []string{"MO"}, Until: "9999-12-31"}, "2026-10-01", 31, 1, 0},
		{"count 200, range long after its end", care.Recurrence{Freq: "weekly", Interval: 1, ByDay: []string{"MO"}, Count: 200}, "2040-01-01", 62, 201, 0},
		{"no valid day (stored before validation)", care.Recurrence{Freq: "weekly", Interval: 1, ByDay: []string{"XX"}, Until: "9999-12-31"}, "2026-12-01", 31, 0, 0},
	} {
		from, to := window(c.from, c.days)
		if w := care.WeeksWalked(c.r, first, tokyo, from, to); w > c.maxWeeks {
			t.Errorf("%s: walked %d weeks, want at most %d", c.name, w, c.maxWeeks)
		}
		if n := len(care.Occurrences(c.r, first, tokyo, from, to)); n != c.wantOccurs {
			t.Errorf("%s: %d occurrences, want %d", c.name, n, c.wantOccurs)
		}
	}

	far := care.Recurrence{Freq: "weekly", Interval: 3, ByDay: []string{"WE", "FR"}, Until: "9999-12-31"}
	if w := care.SeriesEndWeeks(far, first, tokyo); w > 5 {
		t.Errorf("SeriesEnd of an until-9999 series walked %d weeks", w)
	}
	// The end it finds is the one a full walk finds (checked on a series
	// short enough to walk in full).
	for _, until := range []string{"2027-03-31", "2028-12-06", "2026-12-07", "2026-12-08"} {
		r := care.Recurrence{Freq: "weekly", Interval: 3, ByDay: []string{"MO", "FR"}, Until: until}
		all := care.Occurrences(r, first, tokyo, first.Start, jst("2030-01-01 00:00"))
		want := first.End
		if len(all) > 0 {
			want = all[len(all)-1].End
		}
		if got := care.SeriesEnd(r, first, tokyo); !got.Equal(want) {
			t.Errorf("until %s: SeriesEnd %v, want %v", until, got, want)
		}
	}
}

// TestSeriesBounds: a series ends within two years of its first day, by
// until or by count; the refusal names the field and the limit.
func TestSeriesBounds(t *testing.T) {
	start := jst("2026-12-07 10:00") // a Monday
	daily := []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}
	for _, c := range []struct {
		name  string
		r     care.Recurrence
		field string // "" = accepted
	}{
		{"until two years on", care.Recurrence{Freq: "weekly", Interval: 1, ByDay: daily, Until: "2028-12-07"}, ""},
		{"until a day past two years", care.Recurrence{Freq: "weekly", Interval: 1, ByDay: daily, Until: "2028-12-08"}, "recurrence.until"},
		{"until 9999", care.Recurrence{Freq: "weekly", Interval: 1, ByDay: []string{"MO"}, Until: "9999-12-31"}, "recurrence.until"},
		{"until before the first day", care.Recurrence{Freq: "weekly", Interval: 1, ByDay: []string{"MO"}, Until: "2026-12-06"}, "recurrence.until"},
		{"count 200 daily", care.Recurrence{Freq: "weekly", Interval: 1, ByDay: daily, Count: 200}, ""},
		{"count 104 weekly, within two years", care.Recurrence{Freq: "weekly", Interval: 1, ByDay: []string{"MO"}, Count: 104}, ""},
		{"count 200 every 8 weeks: 30 years", care.Recurrence{Freq: "weekly", Interval: 8, ByDay: []string{"MO"}, Count: 200}, "recurrence.count"},
		{"count 106 weekly: past two years", care.Recurrence{Freq: "weekly", Interval: 1, ByDay: []string{"MO"}, Count: 106}, "recurrence.count"},
		{"count over the maximum", care.Recurrence{Freq: "weekly", Interval: 1, ByDay: daily, Count: 201}, "recurrence.count"},
	} {
		err := c.r.ValidateFrom(start, tokyo)
		var ce *care.Error
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.field != "" && (!errors.As(err, &ce) || ce.Field != c.field):
			t.Errorf("%s: %v, want a refusal naming %s", c.name, err, c.field)
		case c.field == "recurrence.until" && strings.Contains(c.name, "past") && !strings.Contains(ce.Detail, "2 years"):
			t.Errorf("%s: %q does not state the limit", c.name, ce.Detail)
		}
	}
	// Two years of every day is the most a series can hold, under the cap.
	if n := len(care.Occurrences(care.Recurrence{Freq: "weekly", Interval: 1, ByDay: daily, Until: "2028-12-07"},
		care.Span{Start: start, End: start.Add(time.Hour)}, tokyo, start, jst("2029-01-01 00:00"))); n > care.MaxSeriesOccurrences {
		t.Errorf("two years of days: %d occurrences over the cap %d", n, care.MaxSeriesOccurrences)
	}
}
