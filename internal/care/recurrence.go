package care

import (
	"time"
)

// Recurrence is the rule of a repeating visit: weekly on the days ByDay,
// every Interval weeks (weeks start on Monday, as in iCalendar), ending on
// the date Until (inclusive, in the calendar's time zone) or after Count
// occurrences. Exactly one of Until and Count is set: a series always ends.
type Recurrence struct {
	Freq     string   `json:"freq" enum:"weekly"`
	Interval int      `json:"interval" minimum:"1" maximum:"8" doc:"every N weeks"`
	ByDay    []string `json:"by_day" minItems:"1" maxItems:"7" uniqueItems:"true" doc:"days of the week: MO TU WE TH FR SA SU"`
	Until    string   `json:"until,omitempty" format:"date" doc:"last day (inclusive, Asia/Tokyo); exactly one of until and count"`
	Count    int      `json:"count,omitempty" minimum:"0" maximum:"200" doc:"number of occurrences; exactly one of until and count"`
}

// FreqWeekly is the only recurrence frequency.
const FreqWeekly = "weekly"

// MaxRecurrenceCount bounds Recurrence.Count.
const MaxRecurrenceCount = 200

// A series ends at most MaxSeriesYears after its first day and has at most
// MaxSeriesOccurrences occurrences, whether it ends by until or by count:
// a series is a plan of care, not a forever, and its expansion stays small.
const (
	MaxSeriesYears       = 2
	MaxSeriesOccurrences = 750
)

var weekdays = map[string]time.Weekday{"MO": time.Monday, "TU": time.Tuesday, "WE": time.Wednesday, "TH": time.Thursday,
	"FR": time.Friday, "SA": time.Saturday, "SU": time.Sunday}

// Validate checks the rule on its own; the API also checks Until against
// the series start. Errors name the field under "recurrence.".
func (r Recurrence) Validate() error {
	if r.Freq != FreqWeekly {
		return Invalid("recurrence.freq", "only weekly recurrence is supported")
	}
	if r.Interval < 1 || r.Interval > 8 {
		return Invalid("recurrence.interval", "interval must be 1 to 8 weeks")
	}
	if len(r.ByDay) == 0 {
		return Invalid("recurrence.by_day", "choose at least one day")
	}
	seen := map[string]bool{}
	for _, d := range r.ByDay {
		if _, ok := weekdays[d]; !ok || seen[d] {
			return Invalid("recurrence.by_day", "days are MO, TU, WE, TH, FR, SA, SU, each once")
		}
		seen[d] = true
	}
	switch {
	case (r.Until == "") == (r.Count == 0):
		return Invalid("recurrence", "give exactly one of until and count")
	case r.Count < 0 || r.Count > MaxRecurrenceCount:
		return Invalid("recurrence.count", "count must be 1 to %d", MaxRecurrenceCount)
	case r.Until != "":
		if _, err := time.Parse(time.DateOnly, r.Until); err != nil {
			return Invalid("recurrence.until", "until must be a date YYYY-MM-DD")
		}
	}
	return nil
}

// ValidateFrom checks the rule (Validate) for a series whose first entry
// starts at start: until is not before the first day, and the series ends
// within MaxSeriesYears of it with at most MaxSeriesOccurrences occurrences.
// The check expands at most those two years.
func (r Recurrence) ValidateFrom(start time.Time, loc *time.Location) error {
	if err := r.Validate(); err != nil {
		return err
	}
	first := date(start.In(loc), loc)
	limit := first.AddDate(MaxSeriesYears, 0, 0)
	if r.Until != "" {
		u, _ := time.ParseInLocation(time.DateOnly, r.Until, loc)
		if u.Before(first) {
			return Invalid("recurrence.until", "until is before the first visit")
		}
		if u.After(limit) {
			return Invalid("recurrence.until", "a series runs at most %d years: until is at most %s", MaxSeriesYears, limit.Format(time.DateOnly))
		}
	}
	occ := Occurrences(r, Span{Start: start, End: start.Add(time.Second)}, loc, start, limit.AddDate(0, 0, 1))
	if r.Count > len(occ) {
		return Invalid("recurrence.count", "a series runs at most %d years: this count ends after %s", MaxSeriesYears, limit.Format(time.DateOnly))
	}
	if len(occ) > MaxSeriesOccurrences {
		return Invalid("recurrence", "a series has at most %d occurrences", MaxSeriesOccurrences)
	}
	return nil
}

// Span is a stretch of time [Start, End).
type Span struct {
	Start, End time.Time
}

// Occurrences expands the series whose first entry is first under rule r
// and returns, in order, the occurrences that overlap [from, to). Every
// occurrence keeps the wall-clock start and end of first in loc (a 10:00
// visit in Asia/Tokyo stays at 10:00 there, whatever UTC says), and spans
// the same number of calendar days. Occurrences are the chosen weekdays on
// or after the first entry's date; first itself is one only when its
// weekday is chosen. Count counts from the first occurrence, so a range in
// the middle of a counted series sees the right ones. Times are returned
// in loc.
//
// The work is bounded by the range, whatever the rule says: a series
// ending by until is entered at the first week that can overlap [from,
// to), so a stored series with a far-future until costs what the range
// holds; one ending by count walks from its start but stops after count.
func Occurrences(r Recurrence, first Span, loc *time.Location, from, to time.Time) []Span {
	out, _ := occurrences(r, first, loc, from, to)
	return out
}

// occurrences is Occurrences, also returning the number of weeks it walked.
func occurrences(r Recurrence, first Span, loc *time.Location, from, to time.Time) ([]Span, int) {
	s, e := first.Start.In(loc), first.End.In(loc)
	startDay := date(s, loc)
	spanDays := daysBetween(startDay, date(e, loc))
	days := map[time.Weekday]bool{}
	for _, d := range r.ByDay {
		if wd, ok := weekdays[d]; ok {
			days[wd] = true
		}
	}
	if len(days) == 0 {
		return nil, 0
	}
	var untilDay time.Time
	if r.Until != "" {
		u, err := time.ParseInLocation(time.DateOnly, r.Until, loc)
		if err != nil {
			return nil, 0
		}
		untilDay = u
	}
	interval := max(r.Interval, 1)
	firstMonday := startDay.AddDate(0, 0, -((int(startDay.Weekday()) + 6) % 7))
	w := 0
	if r.Count == 0 {
		// Without a count nothing before the range matters: skip to the
		// first week (of the series' rhythm) that can still overlap it.
		earliest := date(from.In(loc), loc).AddDate(0, 0, -spanDays-7)
		if skip := daysBetween(firstMonday, earliest) / 7; skip > 0 {
			w = skip - skip%interval
		}
	}
	var out []Span
	n, walked := 0, 0
	for ; ; w += interval {
		monday := firstMonday.AddDate(0, 0, 7*w)
		if !monday.Before(to) || (!untilDay.IsZero() && monday.After(untilDay)) {
			return out, walked
		}
		walked++
		for i := 0; i < 7; i++ {
			d := monday.AddDate(0, 0, i)
			if !days[d.Weekday()] || d.Before(startDay) {
				continue
			}
			if !untilDay.IsZero() && d.After(untilDay) {
				return out, walked
			}
			n++
			if r.Count > 0 && n > r.Count {
				return out, walked
			}
			os := time.Date(d.Year(), d.Month(), d.Day(), s.Hour(), s.Minute(), s.Second(), s.Nanosecond(), loc)
			if !os.Before(to) {
				return out, walked
			}
			oe := time.Date(d.Year(), d.Month(), d.Day()+spanDays, e.Hour(), e.Minute(), e.Second(), e.Nanosecond(), loc)
			if oe.After(from) {
				out = append(out, Span{Start: os, End: oe})
			}
		}
	}
}

// SeriesEnd returns the end of the last occurrence of the series, or
// first.End when the rule yields none. The store keeps it to find the
// series that can overlap a range.
func SeriesEnd(r Recurrence, first Span, loc *time.Location) time.Time {
	end, _ := seriesEnd(r, first, loc)
	return end
}

// seriesEnd is SeriesEnd, also returning the number of weeks it walked: a
// series ending by until expands only its last weeks (every cycle of
// interval weeks holds an occurrence), so a stored far-future until costs
// no more than a near one.
func seriesEnd(r Recurrence, first Span, loc *time.Location) (time.Time, int) {
	from, to := first.Start, first.Start.AddDate(40, 0, 0)
	if r.Until != "" {
		if u, err := time.ParseInLocation(time.DateOnly, r.Until, loc); err == nil {
			to = u.AddDate(0, 0, 1)
			if f := to.AddDate(0, 0, -7*(max(r.Interval, 1)+1)); f.After(from) {
				from = f
			}
		}
	}
	occ, walked := occurrences(r, first, loc, from, to)
	if len(occ) == 0 {
		return first.End, walked
	}
	return occ[len(occ)-1].End, walked
}

// IsOccurrence reports whether start is the original start of an
// occurrence of the series.
func IsOccurrence(r Recurrence, first Span, loc *time.Location, start time.Time) bool {
	for _, o := range Occurrences(r, first, loc, start, start.Add(time.Nanosecond)) {
		if o.Start.Equal(start) {
			return true
		}
	}
	return false
}

func date(t time.Time, loc *time.Location) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// daysBetween counts calendar days from a to b (both midnights in one zone).
// It counts in Unix days, not with a time.Duration, which saturates at 292
// years (a series with an until in year 9999 then walked from its start).
func daysBetween(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return int((time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC).Unix() - time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC).Unix()) / 86400)
}
