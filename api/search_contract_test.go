package api_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestSearchContract holds the search to its contract, whichever way the
// index answers a patient (its candidates checked whole, or its timeline
// walked because the words are common in it): every page, followed to
// the end by its cursor, gives exactly the records whose current text
// holds every word, newest first by (occurred_at, id), with many records
// sharing an occurred_at across the pages' edges. Records amended away
// from a word and records entered in error are never found; a word of
// two characters and a word longer than the grams the index is asked for
// are found like any other. The expected records are worked out from the
// texts written, apart from the index; their order is the database's
// (occurred_at, id).
func TestSearchContract(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		ctx := context.Background()
		other := h.mustOtherPatient(r)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+other+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full"})
		r.doctorC.must(201, "POST", "/api/v1/patients/"+other+"/team", map[string]any{"user_id": r.nurse.ID, "role": "visiting_nurse"})
		third := h.mustOtherPatient(r)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+third+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full"})
		r.doctorC.must(201, "POST", "/api/v1/patients/"+third+"/team", map[string]any{"user_id": r.nurse.ID, "role": "visiting_nurse"})

		const long = "長期目標見直し会議"     // 9 characters, 8 grams: the index is asked for 4
		texts := map[string]string{} // record id → its current text, "" when entered in error
		start := h.clock.Now().Add(-30 * 24 * time.Hour)
		// The region's patient: 300 records, half saying 発熱 (more than
		// the index names before the patient is walked by time), one in
		// five the long word; seven records to each occurred_at, an hour
		// apart. The other patient: 40, a few of each. A third: 250, seven
		// to each occurred_at ten minutes apart, walked too: its records
		// all lie in the first patient's first hours, some at the same
		// times, so that the walks' hits merge across patients with ties,
		// and the first patient's alone fill the newer pages.
		write := func(patient string, n int, step time.Duration) []string {
			var ids []string
			if err := h.db.Write(ctx, func(tx *store.Tx) error {
				for i := 0; i < n; i++ {
					id := newID()
					at := start.Add(time.Duration(i/7) * step)
					text := "平熱で経過"
					if i%2 == 0 {
						text = "夕方から発熱あり"
					}
					if i%5 == 0 {
						text += "。" + long + "の予定"
					}
					if i%11 == 0 { // the long word split: its grams, not the word
						text += "。長期目標と見直し会議"
					}
					rec := store.Record{ID: id, PatientID: patient, Kind: care.KindNote, Chart: i%3 == 0, AuthorID: r.nurse.ID,
						AuthorFacilityID: r.station, AuthorProfession: care.ProfNurse, OccurredAt: at, CreatedAt: at, RequestHash: id}
					v := store.RecordVersion{RecordID: id, Version: 1, Status: care.RecordFinal, EnteredBy: r.nurse.ID, CreatedAt: at,
						Content: care.RecordContent{Text: text, AttachmentIDs: []string{}}}
					if err := tx.CreateRecord(ctx, rec, v); err != nil {
						return err
					}
					texts[id] = text
					ids = append(ids, id)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			return ids
		}
		mine, theirs, thirds := write(r.patientID, 300, time.Hour), write(other, 40, time.Hour), write(third, 250, 10*time.Minute)
		// Amended away from both words, amended to say them, entered in error.
		amend := func(id, text, status string) {
			t.Helper()
			if err := h.db.Write(ctx, func(tx *store.Tx) error {
				return tx.AddRecordVersion(ctx, store.RecordVersion{RecordID: id, Version: 2, Status: status, EnteredBy: r.nurse.ID,
					Reason: "訂正", CreatedAt: h.clock.Now(), Content: care.RecordContent{Text: text, AttachmentIDs: []string{}}})
			}); err != nil {
				t.Fatal(err)
			}
			texts[id] = text
			if status == care.RecordEnteredInError {
				texts[id] = ""
			}
		}
		amend(mine[0], "訂正済み", care.RecordFinal)                       // said 発熱 and the long word
		amend(mine[150], "夕方から発熱あり", care.RecordEnteredInError)        // says 発熱 still, entered in error
		amend(theirs[1], "夜間に発熱。"+long+"を依頼", care.RecordFinal)        // now says both
		amend(theirs[20], "夕方から発熱あり。"+long, care.RecordEnteredInError) // said both

		// expected: the ids of patients' records holding every word,
		// ordered by the database.
		expected := func(words []string, patients ...string) []string {
			in := map[string]bool{}
			for _, p := range patients {
				for _, id := range map[string][]string{r.patientID: mine, other: theirs, third: thirds}[p] {
					ok := texts[id] != ""
					for _, w := range words {
						ok = ok && strings.Contains(texts[id], w)
					}
					if ok {
						in[id] = true
					}
				}
			}
			var ids []string
			for id := range in {
				ids = append(ids, id)
			}
			var ordered []string
			if err := h.db.Read(ctx, func(tx *store.Tx) error {
				q := `SELECT id FROM record WHERE id IN (SELECT value FROM json_each(?)) ORDER BY occurred_at DESC, id DESC`
				if engine == store.Postgres {
					q = `SELECT id FROM record WHERE id IN (SELECT json_array_elements_text(?::json)) ORDER BY occurred_at DESC, id DESC`
				}
				return tx.Select(ctx, &ordered, q, jsonStrings(ids))
			}); err != nil {
				t.Fatal(err)
			}
			return ordered
		}
		for _, c := range []struct {
			q        string
			patients []string
		}{
			{"発熱", []string{r.patientID, other, third}},
			{"発熱", []string{third}},
			{"発熱", []string{r.patientID}},
			{"発熱", []string{other}},
			{long, []string{r.patientID, other, third}},
			{long, []string{r.patientID}},
			{"発熱 " + long, []string{r.patientID, other, third}},
			{"平熱 " + long, []string{r.patientID}},
			{"長期目標", []string{r.patientID, other, third}},
			{"夕方から発熱あり", []string{r.patientID, other, third}},
			{"訂正済み", []string{r.patientID}},
			{"見直し会議の予定 平熱", []string{r.patientID, other, third}},
		} {
			words, err := care.SearchWords(c.q)
			if err != nil {
				t.Fatal(err)
			}
			want := expected(words, c.patients...)
			if len(want) == 0 && c.q != "訂正済み" {
				t.Fatalf("%q: the data set holds no match", c.q)
			}
			extra := ""
			if len(c.patients) == 1 {
				extra = "&patient_id=" + c.patients[0]
			}
			var got []string
			cursor := ""
			for pages := 0; pages < 100; pages++ {
				p := search(t, r.nurseC, c.q, extra+"&limit=7&cursor="+url.QueryEscape(cursor))
				got = append(got, p.ids()...)
				if cursor = p.Next; cursor == "" {
					break
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%q in %d patient(s): %d records, want %d\n got %v\nwant %v", c.q, len(c.patients), len(got), len(want), got, want)
			}
		}
	})
}

func jsonStrings(ids []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + id + `"`)
	}
	b.WriteByte(']')
	return b.String()
}
