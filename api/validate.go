package api

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/danielgtaylor/huma/v2"

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

// multiline names the free-text fields (by their JSON name, at any depth)
// that keep line breaks and tabs: a record's text and its prose fields
// (care.RecordFields), notes, reasons, messages. Every other string — names,
// addresses, codes, ids — is one line. A new prose field is added here; until
// then its line breaks are refused, which a test of the form shows at once.
var multiline = map[string]bool{
	"text": true, "care_notes": true, "observations": true, "care_given": true, "plan": true, "instruction": true,
	"issues": true, "coordination": true, "plan_change": true,
	"note": true, "notes": true, "reason": true, "withdrawal_reason": true, "message": true,
}

// hiddenChar reports whether r is a character that hides or disguises text
// in the people's names, records and reasons others read: control
// characters (NUL, escape…; line breaks and tabs only when keepBreaks),
// bidirectional controls (U+202E turns "gpj.exe" into "exe.jpg") and
// zero-width characters (two names that look the same but differ).
func hiddenChar(r rune, keepBreaks bool) bool {
	switch {
	case r == '\n' || r == '\t':
		return !keepBreaks
	case unicode.IsControl(r):
		return true
	case r == 0x061C, r == 0x200E, r == 0x200F, r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069: // bidi
		return true
	case r >= 0x200B && r <= 0x200D, r == 0x2060, r == 0xFEFF: // zero width
		return true
	}
	return false
}

// checkText walks an operation's input (path, query and header parameters
// and the body, to any depth) and refuses every string that holds a hidden
// character (hiddenChar). Every operation passes through it: REST calls in
// register, sync mutations in mutationFor, after their args are decoded.
// The problem names the field and the rule, never the value.
func checkText(in any) error {
	var details []*huma.ErrorDetail
	walkText(reflect.ValueOf(in), "", false, &details)
	if len(details) > 0 {
		return &validationError{details: details}
	}
	return nil
}

const hiddenCharRule = "must not contain control, bidirectional-override or zero-width characters"

func walkText(v reflect.Value, loc string, keepBreaks bool, details *[]*huma.ErrorDetail) {
	if len(*details) >= 20 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkText(v.Elem(), loc, keepBreaks, details)
		}
	case reflect.String:
		if strings.ContainsFunc(v.String(), func(r rune) bool { return hiddenChar(r, keepBreaks) }) {
			*details = append(*details, &huma.ErrorDetail{Location: loc, Message: hiddenCharRule})
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // raw bytes (an uploaded image, sync args decoded later)
		}
		for i := 0; i < v.Len(); i++ {
			walkText(v.Index(i), loc+"["+strconv.Itoa(i)+"]", keepBreaks, details)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := iter.Key()
			name := fmt.Sprint(k.Interface())
			if k.Kind() == reflect.String && strings.ContainsFunc(k.String(), func(r rune) bool { return hiddenChar(r, false) }) {
				*details = append(*details, &huma.ErrorDetail{Location: loc, Message: "keys " + hiddenCharRule})
				continue
			}
			walkText(iter.Value(), join(loc, name), multiline[name], details)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if f.Anonymous {
				walkText(v.Field(i), loc, keepBreaks, details)
				continue
			}
			name, where := fieldName(f)
			if loc == "" && where != "" {
				walkText(v.Field(i), where+"."+name, false, details)
				continue
			}
			if loc == "" && f.Name == "Body" {
				walkText(v.Field(i), "body", false, details)
				continue
			}
			walkText(v.Field(i), join(loc, name), multiline[name], details)
			if blankRequired(f, v.Field(i)) {
				*details = append(*details, &huma.ErrorDetail{Location: join(loc, name), Message: "must not be blank"})
			}
		}
	}
}

// blankRequired reports whether field f (value v) is a required text — a
// string with a minLength — sent as white space only: a name of spaces
// passes minLength but is stored as "" once cleaned (clean), a patient or
// a facility without a name. Passwords are left to the password policy.
func blankRequired(f reflect.StructField, v reflect.Value) bool {
	if n, err := strconv.Atoi(f.Tag.Get("minLength")); err != nil || n < 1 || strings.Contains(strings.ToLower(f.Name), "password") {
		return false
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return false
		}
		v = v.Elem()
	}
	return v.Kind() == reflect.String && v.Len() > 0 && strings.TrimFunc(v.String(), unicode.IsSpace) == ""
}

// fieldName is the name a struct field has on the wire, and for a
// parameter of an operation's input where it travels (path, query, header).
func fieldName(f reflect.StructField) (name, where string) {
	for _, in := range []string{"path", "query", "header", "cookie"} {
		if n := f.Tag.Get(in); n != "" {
			n, _, _ = strings.Cut(n, ",")
			return n, in
		}
	}
	if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n != "" && n != "-" {
		return n, ""
	}
	return f.Name, ""
}

func join(loc, name string) string {
	if loc == "" {
		return name
	}
	return loc + "." + name
}
