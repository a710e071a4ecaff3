package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"tsunagu/internal/care"
	"tsunagu/internal/store/storetest"
)

type vitalRangesJSON struct {
	Ranges []struct {
		Key      string   `json:"key"`
		Unit     string   `json:"unit"`
		Min      float64  `json:"min"`
		Max      float64  `json:"max"`
		Step     float64  `json:"step"`
		Low      *float64 `json:"low"`
		High     *float64 `json:"high"`
		LowRule  string   `json:"low_rule"`
		HighRule string   `json:"high_rule"`
		LabelJa  string   `json:"label_ja"`
	} `json:"ranges"`
	Consciousness struct {
		Codes []string `json:"codes"`
		Alert string   `json:"alert"`
	} `json:"consciousness"`
}

// The served table is the one the server validates and flags with: every
// signed-in user gets the same, and a record written at its edges is refused
// and flagged exactly where the served rows say.
func TestVitalRanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		if res := h.anon().do("GET", "/api/v1/vitals/ranges", nil); res.status != 401 {
			t.Fatalf("without a session: %d", res.status)
		}
		var table vitalRangesJSON
		nurse := r.nurseC.must(200, "GET", "/api/v1/vitals/ranges", nil)
		nurse.json(t, &table)
		if helper := r.helperC.must(200, "GET", "/api/v1/vitals/ranges", nil); helper.body != nurse.body {
			t.Fatalf("the care worker's table differs:\n%s\n%s", helper.body, nurse.body)
		}
		// The app's tests flag with this very table (pwa/src/testdata/vital-ranges.json).
		var pretty bytes.Buffer
		json.Indent(&pretty, []byte(nurse.body), "", "  ")
		pretty.WriteString("\n")
		const fixture = "../pwa/src/testdata/vital-ranges.json"
		if *update {
			if err := os.WriteFile(fixture, pretty.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if held, err := os.ReadFile(fixture); err != nil || !bytes.Equal(held, pretty.Bytes()) {
			t.Errorf("%s is not the served table (go test ./api -run TestVitalRanges -update): %v", fixture, err)
		}
		if len(table.Ranges) != len(care.VitalRanges) || !reflect.DeepEqual(table.Consciousness.Codes, care.JCS) || table.Consciousness.Alert != "0" {
			t.Fatalf("table %+v", table)
		}
		byKey := map[string]int{}
		for i, row := range table.Ranges {
			byKey[row.Key] = i
		}
		spo2 := table.Ranges[byKey["spo2"]]
		if spo2.Low == nil || *spo2.Low != 93 || spo2.LowRule != "<" || spo2.High != nil || spo2.Unit != "%" {
			t.Errorf("spo2 row %+v", spo2)
		}
		path := "/api/v1/patients/" + r.patientID + "/records"
		for _, row := range table.Ranges {
			// one step outside the possible values: refused, naming the field
			res := r.nurseC.do("POST", path, map[string]any{"id": newID(), "kind": "nursing_visit", "occurred_at": h.clock.Now().Add(-10 * 60e9),
				"vitals": map[string]any{row.Key: row.Max + row.Step}})
			if res.status != 422 || problemField(t, res) != "body.vitals."+row.Key && !strings.HasSuffix(problemField(t, res), "vitals."+row.Key) {
				t.Errorf("%s above max: %d %s", row.Key, res.status, res.body)
			}
			// one step past each threshold: flagged by the server as the row says
			want := map[string]string{}
			vit := map[string]any{}
			if row.High != nil {
				vit[row.Key] = *row.High + row.Step
				want[row.Key] = "high"
			} else if row.Low != nil {
				vit[row.Key] = *row.Low - row.Step
				want[row.Key] = "low"
			} else {
				vit[row.Key] = row.Max
			}
			rec := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "nursing_visit", "vitals": vit})
			got := map[string]string{}
			for _, f := range rec.Flags {
				got[strings.TrimPrefix(f.Field, "vitals.")] = f.Level
			}
			if !reflect.DeepEqual(got, want) {
				b, _ := json.Marshal(row)
				t.Errorf("row %s: flags %v, want %v", b, got, want)
			}
		}
	})
}
