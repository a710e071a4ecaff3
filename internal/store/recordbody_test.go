package store

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"tsunagu/internal/care"
)

// TestDecodeRecordBodyIsJSONUnmarshal: the hand decoder gives what
// encoding/json gives, for bodies as toRow writes them and for bodies it
// leaves to encoding/json.
func TestDecodeRecordBodyIsJSONUnmarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	plain := []string{"", "バイタル安定。", "a", "絵文字😀", "\x7f", "半角ｶﾅ", " ", "{[:,]}"}
	escaped := []string{`"quoted"`, `back\slash`, "<b>&amp;</b>", "tab\there", "line\nbreak", "\u2028", "\xff"}
	word := func() string {
		s := ""
		for n := rng.IntN(4); n > 0; n-- {
			if rng.IntN(20) == 0 {
				s += escaped[rng.IntN(len(escaped))]
			} else {
				s += plain[rng.IntN(len(plain))]
			}
		}
		return s
	}
	var bodies []string
	for i := 0; i < 3000; i++ {
		b := recordBody{Text: word(), NextVisitOn: word(), CareNotes: word(), PlanChanged: rng.IntN(2) == 0}
		f := &b.Fields
		for _, key := range []string{"observations", "plan", "wound", "note", "issues", "coordination", "title", "document_type", "conference_on"} {
			if rng.IntN(3) == 0 {
				*stringField(f, key) = word()
			}
		}
		if rng.IntN(5) == 0 {
			n := rng.IntN(60)
			f.DesignR = &n
		}
		if rng.IntN(7) == 0 {
			f.DrugsChecked = []care.Drug{{Name: word()}}
		}
		f.FlagToDoctor = rng.IntN(9) == 0
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, string(out))
	}
	generated := len(bodies)
	bodies = append(bodies, `{}`, `{"fields":{}}`, `{"fields":null}`, `null`, ``, `{`, `{"text":"a"`, `{"text":"a"}x`,
		`{ "text":"a"}`, `{"Text":"a","fields":{}}`, `{"text":"a","text":"b","fields":{}}`, `{"text":1}`,
		`{"fields":{"plan":"a","plan":"b"}}`, `{"fields":{"plan":"a"},"fields":{"note":"b"}}`, `{"plan_changed":true,"fields":{}}`,
		`{"plan_changed":"true"}`, `{"text":"\u3042"}`, `{"unknown":"x","fields":{}}`, `{"fields":{"design_r":3}}`,
		`{"text":"a",}`, `{"text":"ok","fields":{"title":"ok"}}`, "{\"text\":\"\xff\"}", "{\"text\":\"a\x01\"}")
	fast := 0
	for i, body := range bodies {
		var want, got recordBody
		wantErr := json.Unmarshal([]byte(body), &want)
		gotErr := decodeRecordBody(body, &got)
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("%q: error %v, encoding/json %v", body, gotErr, wantErr)
		}
		if wantErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %+v\nwant %+v", body, got, want)
		}
		// A body toRow wrote without escapes, numbers or lists takes the
		// hand path.
		var b recordBody
		if decodeBodyFast(body, &b) {
			fast++
		} else if i < generated && !strings.ContainsAny(body, `\`) && !strings.Contains(body, `"design_r"`) &&
			!strings.Contains(body, `"drugs_checked"`) && !strings.Contains(body, `"flag_to_doctor"`) {
			t.Fatalf("%q: left to encoding/json", body)
		}
	}
	t.Logf("%d of %d bodies decoded by hand", fast, len(bodies))
}
