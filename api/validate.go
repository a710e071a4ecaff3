package api

import (
	"strings"
	"time"
	"unicode"

	"tsunagu/internal/care"
)

// clean trims and collapses runs of white space (including the ideographic
// space) in a free-text name.
func clean(s string) string {
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// validKana accepts hiragana, katakana (full width), the long-vowel mark,
// the middle dot and spaces: what 読み仮名 fields hold.
func validKana(field, s string) error {
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Hiragana, r), unicode.Is(unicode.Katakana, r), r == 'ー', r == '・', unicode.IsSpace(r):
		default:
			return care.Invalid(field, "kana may contain only hiragana, katakana and spaces")
		}
	}
	if strings.TrimSpace(s) == "" {
		return care.Invalid(field, "kana is required")
	}
	return nil
}

// validDate checks a YYYY-MM-DD calendar date between 1900 and today
// (Asia/Tokyo).
func validDate(field, s string, now time.Time) error {
	d, err := time.ParseInLocation("2006-01-02", s, tokyo)
	if err != nil {
		return care.Invalid(field, "must be a date YYYY-MM-DD")
	}
	if d.Year() < 1900 || d.After(now.In(tokyo)) {
		return care.Invalid(field, "must be between 1900-01-01 and today")
	}
	return nil
}

var tokyo = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		return time.FixedZone("JST", 9*3600)
	}
	return loc
}()
