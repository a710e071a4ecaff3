package care_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"tsunagu/internal/care"
)

// vitalsWith is Vitals holding x in the field of table row key.
func vitalsWith(t *testing.T, key string, x float64) care.Vitals {
	t.Helper()
	var v care.Vitals
	if err := json.Unmarshal([]byte(`{"`+key+`":`+strings.TrimSpace(num(x))+`}`), &v); err != nil {
		t.Fatalf("%s=%v: %v", key, x, err)
	}
	if got, ok := v.Value(key); !ok || got != x {
		t.Fatalf("Value(%s) = %v, %v; want %v", key, got, ok, x)
	}
	return v
}

func num(x float64) string { b, _ := json.Marshal(x); return string(b) }

// The table has one row per numeric field of Vitals, in field order, and
// Value reads each of them: no field escapes validation or the flags.
func TestVitalRangesCoverEveryField(t *testing.T) {
	var keys []string
	rt := reflect.TypeOf(care.Vitals{})
	for i := 0; i < rt.NumField(); i++ {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		if name != "consciousness" {
			keys = append(keys, name)
		}
	}
	var rows []string
	for _, r := range care.VitalRanges {
		rows = append(rows, r.Key)
		if r.Min >= r.Max || r.Step <= 0 || (r.Low != nil) != (r.LowRule != "") || (r.High != nil) != (r.HighRule != "") {
			t.Errorf("row %s is inconsistent: %+v", r.Key, r)
		}
	}
	if strings.Join(rows, ",") != strings.Join(keys, ",") {
		t.Fatalf("table rows %v, Vitals fields %v", rows, keys)
	}
}

// Validate and Flags follow the table row by row: its bounds are the last
// possible values, its thresholds the first flagged ones (by their rule).
func TestVitalsFollowTheTable(t *testing.T) {
	for _, r := range care.VitalRanges {
		t.Run(r.Key, func(t *testing.T) {
			for _, x := range []float64{r.Min, r.Max} {
				if err := vitalsWith(t, r.Key, x).Validate(); err != nil {
					t.Errorf("%v refused: %v", x, err)
				}
			}
			for _, x := range []float64{r.Min - r.Step, r.Max + r.Step} {
				assertField(t, vitalsWith(t, r.Key, x).Validate(), "vitals."+r.Key)
			}
			level := func(x float64) string {
				fs := vitalsWith(t, r.Key, x).Flags()
				if len(fs) == 0 {
					return ""
				}
				if fs[0].Field != "vitals."+r.Key {
					t.Fatalf("flag on %s", fs[0].Field)
				}
				return fs[0].Level
			}
			if r.High != nil {
				at := level(*r.High)
				if want := map[string]string{">=": "high", ">": ""}[r.HighRule]; at != want {
					t.Errorf("at high %v (%s): %q, want %q", *r.High, r.HighRule, at, want)
				}
				if got := level(*r.High + r.Step); got != "high" {
					t.Errorf("above high: %q", got)
				}
				if fs := vitalsWith(t, r.Key, *r.High+r.Step).Flags(); fs[0].Threshold != r.HighRule+" "+strings.TrimSpace(num(*r.High)) {
					t.Errorf("threshold %q", fs[0].Threshold)
				}
			}
			if r.Low != nil {
				at := level(*r.Low)
				if want := map[string]string{"<=": "low", "<": ""}[r.LowRule]; at != want {
					t.Errorf("at low %v (%s): %q, want %q", *r.Low, r.LowRule, at, want)
				}
				if got := level(*r.Low - r.Step); got != "low" {
					t.Errorf("below low: %q", got)
				}
			}
			if r.Low == nil && r.High == nil {
				for _, x := range []float64{r.Min, r.Max} {
					if got := level(x); got != "" {
						t.Errorf("%v flagged %s without thresholds", x, got)
					}
				}
			}
		})
	}
	for i, c := range care.Consciousness.Codes {
		v := care.Vitals{Consciousness: ptr(c)}
		if err := v.Validate(); err != nil {
			t.Errorf("JCS %s refused: %v", c, err)
		}
		if got := len(v.Flags()); (c == care.Consciousness.Alert) != (got == 0) || (i == 0) != (c == care.Consciousness.Alert) {
			t.Errorf("JCS %s: %d flags", c, got)
		}
	}
}
