package care

import "time"

// WeeksWalked is the number of weeks Occurrences walks for a range.
func WeeksWalked(r Recurrence, first Span, loc *time.Location, from, to time.Time) int {
	_, w := occurrences(r, first, loc, from, to)
	return w
}

// SeriesEndWeeks is the number of weeks SeriesEnd walks.
func SeriesEndWeeks(r Recurrence, first Span, loc *time.Location) int {
	_, w := seriesEnd(r, first, loc)
	return w
}
