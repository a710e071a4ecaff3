package api

import (
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// Every date and time the API takes lies in the years minYear–maxYear.
// Nothing in home care needs more, and a far date made the calendar's
// expansion of a series expensive; the limit keeps every later computation
// on dates small.
const (
	minYear = 1900
	maxYear = 2100
)

var timeType = reflect.TypeFor[time.Time]()

// checkDates refuses an operation's input whose dates or times (time.Time
// fields, and strings of format date or date-time) fall outside
// minYear–maxYear, with a 422 that names the field and the limit. It runs
// for every operation, over HTTP (register) and as a sync mutation
// (mutationFor), so a new operation is covered without a line of its own.
func checkDates(in any) error {
	var details []*huma.ErrorDetail
	walkDates(reflect.ValueOf(in), "", &details)
	if len(details) > 0 {
		return &validationError{details: details}
	}
	return nil
}

func walkDates(v reflect.Value, path string, out *[]*huma.ErrorDetail) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			if t := v.Interface().(time.Time); !t.IsZero() && (t.UTC().Year() < minYear || t.UTC().Year() > maxYear) {
				*out = append(*out, outOfRange(path))
			}
			return
		}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if f.Anonymous { // embedded fields belong to the struct that embeds them
				walkDates(v.Field(i), path, out)
				continue
			}
			walkDates(v.Field(i), fieldPath(path, f), out)
			if f.Type.Kind() == reflect.String {
				if format := f.Tag.Get("format"); format == "date" || format == "date-time" {
					if s := v.Field(i).String(); len(s) >= 4 && !yearInRange(s) {
						*out = append(*out, outOfRange(fieldPath(path, f)))
					}
				}
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 { // raw bytes (json.RawMessage, uploads)
			return
		}
		for i := 0; i < v.Len(); i++ {
			walkDates(v.Index(i), path+"["+strconv.Itoa(i)+"]", out)
		}
	}
}

// fieldPath names a field as problem details do: body.starts_at,
// body.recurrence.until, query.from.
func fieldPath(parent string, f reflect.StructField) string {
	if parent == "" && f.Name == "Body" {
		return "body"
	}
	for _, tag := range []string{"query", "path", "header"} {
		if n := f.Tag.Get(tag); n != "" {
			return tag + "." + strings.Split(n, ",")[0]
		}
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" || name == "-" {
		name = f.Name
	}
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// yearInRange reads the year of a YYYY-MM-DD or RFC 3339 string (the
// schema has checked its shape).
func yearInRange(s string) bool {
	y := 0
	for _, c := range s[:4] {
		if c < '0' || c > '9' {
			return true // not a date: the schema's check answers it
		}
		y = y*10 + int(c-'0')
	}
	if len(s) > 4 && s[4] != '-' {
		return true
	}
	return y >= minYear && y <= maxYear
}

func outOfRange(path string) *huma.ErrorDetail {
	return &huma.ErrorDetail{Location: path, Message: "dates and times lie in the years 1900 to 2100"}
}
