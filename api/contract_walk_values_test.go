package api_test

// The values the contract walk (contract_walk_test.go) tries in each field of
// a body: what its schema allows at the edges and what it must refuse.

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
)

func (w *walker) walkFields(s *huma.Schema, path []string, base any, try func(field string, val walkValue, set func(map[string]any))) {
	s = w.resolve(s)
	if s == nil || s.Type != "object" {
		return
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ps := w.resolve(s.Properties[n])
		p := append(append([]string{}, path...), n)
		field := strings.Join(p, ".")
		baseHere := lookup(base, p)
		for _, val := range w.values(n, ps, baseHere) {
			try(field, val, func(body map[string]any) { setPath(body, p, val.v) })
		}
		switch ps.Type {
		case "object":
			w.walkFields(ps, p, base, try)
		case "array":
			items := w.resolve(ps.Items)
			ip := append(append([]string{}, p...), "[]")
			for _, val := range w.values(n, items, nil) {
				try(field+"[]", val, func(body map[string]any) { setPath(body, ip, val.v) })
			}
			if items != nil && items.Type == "object" {
				w.walkFields(items, ip, base, try)
			}
		}
	}
}

// values are the values to send for one field of schema s (whose value in
// the baseline is base, or nil).
func (w *walker) values(name string, s *huma.Schema, base any) []walkValue {
	if s == nil {
		return nil
	}
	var out []walkValue
	switch s.Type {
	case "string":
		if len(s.Enum) > 0 {
			return nil // a closed set, checked by the schema
		}
		switch s.Format {
		case "uuid":
			return w.ids
		case "date":
			for _, d := range []string{"0001-01-01", "9999-12-31", "1900-01-01", "2100-12-31"} {
				out = append(out, walkValue{"date " + d, d, d})
			}
			return out
		case "date-time":
			for _, d := range []string{"0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1900-01-01T00:00:00+09:00", "2100-12-31T23:59:59+09:00"} {
				out = append(out, walkValue{"date-time " + d, d, d})
			}
			return out
		case "binary":
			return nil
		}
		long := 5000
		if s.MaxLength != nil {
			long = *s.MaxLength
		}
		out = append(out,
			walkValue{"control characters", walkMarker + "\x00\x07\x1b[2J\u0085", walkMarker},
			walkValue{"bidi override", walkMarker + "\u202eevil\u2066x\u2069\u202c", walkMarker},
			walkValue{"empty string", "", ""},
		)
		if long >= utf8.RuneCountInString(walkMarker) {
			out = append(out, walkValue{fmt.Sprintf("%d characters", long), walkMarker + strings.Repeat("あ", long-len(walkMarker)), walkMarker})
		}
		if dateLike(name) {
			for _, d := range []string{"0001-01-01", "9999-12-31", "1900-01-01", "2100-12-31"} {
				out = append(out, walkValue{"date " + d, d, d})
			}
		}
		return out
	case "integer":
		return []walkValue{{"-1", -1, ""}, {"0", 0, ""}, {"min int64", int64(math.MinInt64), ""}, {"max int64", int64(math.MaxInt64), ""}}
	case "number":
		return []walkValue{{"-1.5", -1.5, ""}, {"0", 0, ""}, {"1e300", 1e300, ""}, {"-1e300", -1e300, ""}}
	case "boolean":
		return []walkValue{{"true", true, ""}, {"false", false, ""}}
	case "array":
		out = append(out, walkValue{"empty array", []any{}, ""})
		var item any
		if b, ok := base.([]any); ok && len(b) > 0 {
			item = b[0]
		} else if items := w.resolve(s.Items); items != nil {
			switch {
			case len(items.Enum) > 0:
				item = items.Enum[0]
			case items.Format == "uuid":
				item = w.r.nurse.ID
			case items.Type == "string":
				item = "MO"
			case items.Type == "object":
				item = map[string]any{}
			}
		}
		if item != nil {
			out = append(out, walkValue{"duplicates", []any{item, item}, ""})
		}
		return out
	}
	return nil
}

func dateLike(name string) bool {
	for _, s := range []string{"_on", "_until", "until", "date", "_at"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// mutationTypes lists the sync mutation types of the push's schema.
