package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

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

// TestTimeScanReadsAsTheDriver: a time selected as text (timeText) scans
// to the time the driver gives for the TIMESTAMP column, in every layout
// the driver reads.
func TestTimeScanReadsAsTheDriver(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	values := []string{"2026-12-05 14:37:26+00:00", "2026-12-05 15:37:26.963323+09:00", "2026-12-05T01:02:03.5-03:30",
		"2026-12-05T01:02:03Z", "2026-12-05 01:02:03.25", "2026-12-05 01:02", "2026-12-05"}
	// Statements are prepared on another connection than the
	// transaction's (Tx.stmt): the table is made before it is written.
	err = db.Write(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `CREATE TABLE times (at TIMESTAMP)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Write(ctx, func(tx *Tx) error {
		for _, v := range values {
			if _, err := tx.exec(ctx, `INSERT INTO times (at) VALUES (?)`, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Read(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT at, `+timeText(SQLite, "at")+` FROM times ORDER BY rowid`)
		if err != nil {
			return err
		}
		defer rows.Close()
		n := 0
		for ; rows.Next(); n++ {
			var want, got time.Time
			if err := rows.Scan(&want, timeScan{t: &got}); err != nil {
				return fmt.Errorf("%s: %w", values[n], err)
			}
			if !got.Equal(want) || got.String() != want.String() {
				t.Errorf("%s: %v, the driver %v", values[n], got, want)
			}
		}
		if n != len(values) {
			t.Fatalf("%d rows", n)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}
