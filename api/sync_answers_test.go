package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// The ledger keeps a reference to the entity of each answer, not the
// entity, and a resend rebuilds it (api/sync_answers.go).

// rawResult is one result of a push with its parts as sent.
type rawResult struct {
	ID      string          `json:"id"`
	Status  string          `json:"status"`
	First   string          `json:"first_status"`
	Entity  json.RawMessage `json:"entity"`
	Problem json.RawMessage `json:"problem"`
}

// pushRaw pushes ms and returns each result as sent, keyed by mutation id.
func (c *client) pushRaw(t *testing.T, deviceID string, ms ...mutation) map[string]json.RawMessage {
	t.Helper()
	var a struct{ Results []json.RawMessage }
	c.must(200, "POST", "/api/v1/sync/push", map[string]any{"device_id": deviceID, "mutations": ms}).json(t, &a)
	out := map[string]json.RawMessage{}
	for _, raw := range a.Results {
		var r rawResult
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		out[r.ID] = raw
	}
	if len(out) != len(ms) {
		t.Fatalf("push of %d mutations answered %d results", len(ms), len(out))
	}
	return out
}

func decodeResult(t *testing.T, raw json.RawMessage) rawResult {
	t.Helper()
	var r rawResult
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// sameAnswer reports whether duplicate answers what first answered: the
// same entity and problem (its status is duplicate).
func sameAnswer(first, dup rawResult) bool {
	empty := func(m json.RawMessage) bool { return len(m) == 0 || string(m) == "null" }
	entityOK := (empty(first.Entity) && empty(dup.Entity)) || sameJSON(first.Entity, dup.Entity)
	problemOK := (empty(first.Problem) && empty(dup.Problem)) || sameJSON(first.Problem, dup.Problem)
	// The duplicate says what the first answer was (the app handles it as that).
	return dup.Status == "duplicate" && dup.First == first.Status && dup.ID == first.ID && entityOK && problemOK
}

// ledgerRow reads every column of the ledger row of mutation id of device.
func (h *harness) ledgerRow(t *testing.T, deviceID, id string) map[string]any {
	t.Helper()
	db := h.db.SQL()
	rows, err := db.QueryxContext(context.Background(), db.Rebind(`SELECT * FROM mutation_ledger WHERE device_id = ? AND id = ?`), deviceID, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatalf("no ledger row for mutation %s", id)
	}
	row := map[string]any{}
	if err := rows.MapScan(row); err != nil {
		t.Fatal(err)
	}
	for k, v := range row {
		if b, ok := v.([]byte); ok {
			row[k] = string(b)
		}
	}
	return row
}

// rowBytes is the size of a ledger row's values: the bytes of its text
// columns, and 8 for each number or time.
func rowBytes(row map[string]any) int {
	n := 0
	for _, v := range row {
		if s, ok := v.(string); ok {
			n += len(s)
		} else {
			n += 8
		}
	}
	return n
}

// entityOfResult is the kind and id of the entity a result shows (a read
// receipt names its record).
func entityOfResult(t *testing.T, typ string, r rawResult) (string, string) {
	t.Helper()
	var e struct {
		ID       string `json:"id"`
		RecordID string `json:"record_id"`
	}
	if err := json.Unmarshal(r.Entity, &e); err != nil {
		t.Fatalf("%s: entity %s: %v", typ, r.Entity, err)
	}
	kind, _, _ := strings.Cut(typ, ".")
	if typ == "record.read" {
		return kind, e.RecordID
	}
	return kind, e.ID
}

// changeLater changes an entity after a mutation's answer, as the doctor:
// a record is amended (a new version, other text) and read; a visit is
// changed (a new version); a consent is replaced by a newer one (as the
// nurse, who manages the consents).
func changeLater(t *testing.T, h *harness, r *region, kind, id string) {
	t.Helper()
	var cur struct {
		Version int64 `json:"version"`
	}
	switch kind {
	case "record":
		r.doctorC.must(200, "GET", "/api/v1/records/"+id, nil).json(t, &cur)
		r.doctorC.must(201, "POST", "/api/v1/records/"+id+"/amendments", map[string]any{"reason": "後日の訂正", "base_version": cur.Version, "text": secretText + " 後日"})
		r.doctorC.must(200, "POST", "/api/v1/records/"+id+"/read", nil)
	case "visit":
		r.doctorC.must(200, "GET", "/api/v1/visits/"+id, nil).json(t, &cur)
		r.doctorC.must(200, "PATCH", "/api/v1/visits/"+id, map[string]any{"base_version": cur.Version, "note": secretText + " 後日"})
	case "consent":
		// A newer consent replaces it (closing it as superseded).
		page := h.mustAttachment(r.nurseC, r.patientID, accessPhoto)
		r.nurseC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/consents", map[string]any{"obtained_on": "2026-11-21", "scope": "full", "attachment_ids": []string{page}})
	case "message":
		// The doctor reads it and makes a record of it; its author (the
		// nurse, who sends the fixtures) retracts it.
		r.doctorC.must(204, "POST", "/api/v1/patients/"+r.patientID+"/messages/read", map[string]any{"up_to": id})
		r.doctorC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "doctor_note", "text": secretText + " 指示", "source_message_id": id})
		r.nurseC.must(200, "POST", "/api/v1/messages/"+id+"/retract", nil)
	default:
		t.Fatalf("no later change for entity %s", kind)
	}
}

// ledgerCase is one mutation the nurse sends and the status it gets.
type ledgerCase struct {
	name, typ, want string
	args            map[string]any
}

// ledgerCases are every mutation type applied (each needs a fixture in
// ledgerFixtures), the two that answer a conflict with the current
// entity, and a refusal.
func ledgerCases(t *testing.T, h *harness, r *region) []ledgerCase {
	t.Helper()
	var cs []ledgerCase
	for _, typ := range mutationTypes(t, h) {
		fix, ok := ledgerFixtures[typ]
		if !ok {
			t.Fatalf("mutation type %s has no fixture in ledgerFixtures: add one", typ)
		}
		cs = append(cs, ledgerCase{name: typ, typ: typ, want: "applied", args: fix(t, h, r)})
	}
	// Confirming version 2 after the doctor made version 3: conflict with
	// the record as it is (version 3).
	rec := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "nursing_visit", "text": secretText + " 確定前"})
	for v := 1; v <= 2; v++ {
		r.doctorC.must(201, "POST", "/api/v1/records/"+rec.ID+"/amendments", map[string]any{"reason": "訂正", "base_version": v, "text": fmt.Sprintf("%s 訂正%d", secretText, v)})
	}
	cs = append(cs, ledgerCase{name: "record.confirm conflict", typ: "record.confirm", want: "conflict", args: map[string]any{"record_id": rec.ID, "version": 2}})
	// Changing a visit on version 1 after the doctor made version 2.
	var v struct{ ID string }
	r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/visits", map[string]any{"kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
		"starts_at": "2026-11-26T10:00:00+09:00", "ends_at": "2026-11-26T10:45:00+09:00", "note": secretText + " 予定"}).json(t, &v)
	r.doctorC.must(200, "PATCH", "/api/v1/visits/"+v.ID, map[string]any{"base_version": 1, "note": secretText + " 医師の変更"})
	cs = append(cs, ledgerCase{name: "visit.update conflict", typ: "visit.update", want: "conflict", args: map[string]any{"visit_id": v.ID, "base_version": 1, "note": "看護師の変更"}})
	// An amendment on a version the record does not have: refused.
	cs = append(cs, ledgerCase{name: "record.amend refused", typ: "record.amend", want: "rejected", args: map[string]any{"record_id": rec.ID, "reason": "訂正", "base_version": 99, "text": secretText}})
	return cs
}

// TestDuplicateAnswerIsTheFirstAnswer sends every mutation type (and a
// conflict of each type that has one, and a refusal), then resends each:
// the duplicate answers the same entity and problem as the first answer,
// right away and after the entity changed (a record confirmed, amended
// and read, a visit changed): a duplicate describes the entity as the
// mutation left it. The ledger row keeps none of the record's text, only
// the entity's kind, id and version.
func TestDuplicateAnswerIsTheFirstAnswer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		dev := newID()
		cases := ledgerCases(t, h, r)
		sent := make([]mutation, len(cases))
		first := make([]rawResult, len(cases))
		for i, c := range cases {
			sent[i] = mutation{ID: newID(), Seq: int64(i + 1), Type: c.typ, Args: c.args}
			first[i] = decodeResult(t, r.nurseC.pushRaw(t, dev, sent[i])[sent[i].ID])
			if first[i].Status != c.want {
				t.Fatalf("%s: answered %s, want %s", c.name, first[i].Status, c.want)
			}
			if (c.want == "rejected") != (len(first[i].Entity) == 0) {
				t.Fatalf("%s: entity %s", c.name, first[i].Entity)
			}
			row := h.ledgerRow(t, dev, sent[i].ID)
			for col, v := range row {
				if s, ok := v.(string); ok && strings.Contains(s, secretText) {
					t.Errorf("%s: the ledger row keeps the text in %s: %q", c.name, col, s)
				}
			}
			if row["result"] != "" || row["status"] != c.want {
				t.Errorf("%s: ledger row %v", c.name, row)
			}
			if c.want != "rejected" {
				kind, id := entityOfResult(t, c.typ, first[i])
				var e struct{ Version int64 }
				json.Unmarshal(first[i].Entity, &e)
				if row["entity"] != kind || row["entity_id"] != id || fmt.Sprint(row["entity_version"]) != fmt.Sprint(e.Version) {
					t.Errorf("%s: ledger row names %v/%v/%v, want %s/%s/%d", c.name, row["entity"], row["entity_id"], row["entity_version"], kind, id, e.Version)
				}
			} else if row["problem"] == "" || row["entity"] != "" {
				t.Errorf("%s: refused row %v", c.name, row)
			}
		}
		resend := func(when string) {
			t.Helper()
			got := r.nurseC.pushRaw(t, dev, sent...)
			for i, c := range cases {
				dup := decodeResult(t, got[sent[i].ID])
				if !sameAnswer(first[i], dup) {
					t.Errorf("%s, resent %s:\nfirst     %s\nduplicate %s", c.name, when, first[i].Entity, got[sent[i].ID])
				}
			}
		}
		resend("right away")

		// Later changes do not change what the mutations answered: the
		// nurse confirms the version her refused confirmation was shown,
		// and the doctor amends, reads or changes every entity.
		h.clock.Advance(time.Minute)
		for i, c := range cases {
			if c.want == "rejected" {
				continue
			}
			kind, id := entityOfResult(t, c.typ, first[i])
			if c.name == "record.confirm conflict" {
				r.nurseC.must(200, "POST", "/api/v1/records/"+id+"/confirm", map[string]any{"version": 3})
			}
			changeLater(t, h, r, kind, id)
		}
		h.clock.Advance(time.Minute)
		resend("after the entities changed")
	})
}

// TestOldFormatLedgerRowsStillAnswer: rows written before the ledger kept
// references hold the whole answer in result (and entity version 0). A
// resend answers that stored answer while the account reads the entity,
// and without the entity once it does not.
func TestOldFormatLedgerRowsStillAnswer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		dev := newID()
		cases := ledgerCases(t, h, r)
		sent := make([]mutation, len(cases))
		first := make([]rawResult, len(cases))
		for i, c := range cases {
			sent[i] = mutation{ID: newID(), Seq: int64(i + 1), Type: c.typ, Args: c.args}
			raw := r.nurseC.pushRaw(t, dev, sent[i])[sent[i].ID]
			first[i] = decodeResult(t, raw)
			// The row as the earlier build wrote it.
			err := h.db.Write(context.Background(), func(tx *store.Tx) error {
				_, err := tx.Exec(context.Background(), `UPDATE mutation_ledger SET result = ?, problem = '', entity_version = 0 WHERE device_id = ? AND id = ?`, string(raw), dev, sent[i].ID)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		got := r.nurseC.pushRaw(t, dev, sent...)
		for i, c := range cases {
			if dup := decodeResult(t, got[sent[i].ID]); !sameAnswer(first[i], dup) {
				t.Errorf("%s: old row answered %s, first %s", c.name, got[sent[i].ID], first[i].Entity)
			}
		}
		r.doctorC.must(204, "DELETE", "/api/v1/patients/"+r.patientID+"/team/"+r.nurse.ID, nil)
		got = r.nurseC.pushRaw(t, dev, sent...)
		for i, c := range cases {
			res := decodeResult(t, got[sent[i].ID])
			body := string(got[sent[i].ID])
			if res.Status != "duplicate" || (len(res.Entity) > 0 && string(res.Entity) != "null") || strings.Contains(body, secretText) || strings.Contains(body, r.patientID) {
				t.Errorf("%s: old row answered the removed nurse %s", c.name, body)
			}
		}
	})
}

// TestLedgerSizePerRecord measures what the ledger keeps per record a
// device creates, in the reference form and in the whole-answer form rows
// were written in before: the bytes of the row's values, and the table's
// size on disk with its indexes (PostgreSQL: with its TOAST, after VACUUM
// FULL; SQLite: its pages in dbstat, after VACUUM).
// The reference form does not grow with the record's text.
func TestLedgerSizePerRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		const n = 100
		// A nursing note of 400 characters (1,200 bytes in UTF-8), of
		// varied characters as real notes are (a repeated phrase would
		// compress on PostgreSQL to almost nothing).
		rnd := rand.New(rand.NewPCG(1, 2))
		var tb strings.Builder
		tb.WriteString(secretText)
		for tb.Len() < 1200 {
			tb.WriteRune(rune(0x4E00 + rnd.IntN(0x5000)))
		}
		text := tb.String()
		dev := newID()
		ms := make([]mutation, n)
		for i := range ms {
			ms[i] = mutation{ID: newID(), Seq: int64(i + 1), Type: "record.create", Args: map[string]any{"patient_id": r.patientID, "id": newID(),
				"kind": "nursing_visit", "occurred_at": h.clock.Now().Add(-time.Hour), "text": text}}
		}
		results := r.nurseC.pushRaw(t, dev, ms...)
		newBytes, oldBytes := 0, 0
		for _, m := range ms {
			if decodeResult(t, results[m.ID]).Status != "applied" {
				t.Fatalf("record.create answered %s", results[m.ID])
			}
			row := h.ledgerRow(t, dev, m.ID)
			newBytes += rowBytes(row)
			// The row the earlier build wrote: the whole answer in result,
			// and neither problem nor entity_version.
			delete(row, "problem")
			delete(row, "entity_version")
			row["result"] = string(results[m.ID])
			oldBytes += rowBytes(row)
		}
		t.Logf("%s: ledger values per record of %d text bytes: whole answer %d bytes, reference %d bytes", engine, len(text), oldBytes/n, newBytes/n)
		if newBytes/n > 400 || oldBytes/n < 2*len(text) {
			t.Errorf("per record: whole answer %d bytes, reference %d bytes", oldBytes/n, newBytes/n)
		}
		size := func() int64 {
			db := h.db.SQL()
			vacuum, measure := `VACUUM FULL mutation_ledger`, `SELECT pg_total_relation_size('mutation_ledger')`
			if engine == store.SQLite {
				vacuum = `VACUUM`
				measure = `SELECT SUM(pgsize) FROM dbstat WHERE name IN (SELECT name FROM sqlite_master WHERE tbl_name = 'mutation_ledger')`
			}
			if _, err := db.ExecContext(context.Background(), vacuum); err != nil {
				t.Fatal(err)
			}
			var b int64
			if err := db.GetContext(context.Background(), &b, measure); err != nil {
				t.Fatal(err)
			}
			return b
		}
		refSize := size()
		err := h.db.Write(context.Background(), func(tx *store.Tx) error {
			for _, m := range ms {
				if _, err := tx.Exec(context.Background(), `UPDATE mutation_ledger SET result = ? WHERE device_id = ? AND id = ?`, string(results[m.ID]), dev, m.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		wholeSize := size()
		t.Logf("%s: mutation_ledger on disk per record (table and indexes, TOAST on PostgreSQL): whole answer %d bytes, reference %d bytes", engine, wholeSize/n, refSize/n)
		if refSize >= wholeSize {
			t.Errorf("on disk: whole answer %d bytes, reference %d bytes", wholeSize, refSize)
		}
	})
}
