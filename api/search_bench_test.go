package api_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// BenchmarkSearch searches 100,000 nursing records of the nurse's 20
// patients through HTTP (session, access, audit): across her patients and
// in one of them, for a rare word (1 in 97 records), a common one and two
// words; and logs the database's plan of the page query at that size, to
// show that it walks the gram index and scans no table.
//
//	go test ./api -run '^$' -bench Search -benchtime 50x
func BenchmarkSearch(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			h := newHarness(b, engine)
			r := h.mustRegion()
			patients := []string{r.patientID}
			for i := 1; i < 20; i++ {
				var p struct{ ID string }
				r.doctorC.must(201, "POST", "/api/v1/patients", map[string]any{"name": fmt.Sprint("検索 試験", i), "name_kana": "ケンサク シケン", "birth_date": "1940-01-01",
					"sex": "unknown", "address": "架空", "phone": ""}).json(b, &p)
				r.doctorC.must(201, "POST", "/api/v1/patients/"+p.ID+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full"})
				r.doctorC.must(201, "POST", "/api/v1/patients/"+p.ID+"/team", map[string]any{"user_id": r.nurse.ID, "role": "visiting_nurse"})
				patients = append(patients, p.ID)
			}
			fillSearch(b, h, r, patients, 100_000)
			ctx := context.Background()
			if engine == store.Postgres { // as autovacuum would after a bulk load
				if err := h.db.Write(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, `ANALYZE`); return err }); err != nil {
					b.Fatal(err)
				}
			}
			v := care.Viewer{UserID: r.nurse.ID, FacilityID: r.station, Profession: care.ProfNurse}
			for _, q := range []store.SearchQuery{
				{Viewer: v, Words: []string{"褥瘡"}, ChartPatients: patients[:1], Limit: 21},
				{Viewer: v, Words: []string{"褥瘡"}, ChartPatients: patients, Limit: 21},
			} {
				var plan []string
				if err := h.db.Read(ctx, func(tx *store.Tx) (err error) { plan, err = tx.SearchPlan(ctx, q); return }); err != nil {
					b.Fatal(err)
				}
				b.Logf("%s plan, %d patients:\n%s", engine, len(q.ChartPatients), strings.Join(plan, "\n"))
			}
			for _, bc := range []struct{ name, q string }{
				{"across/rare", "褥瘡"}, {"across/common", "ガーゼ交換"}, {"across/two-words", "訪問入浴 調整"},
				{"patient/rare", "褥瘡&patient_id=" + r.patientID}, {"patient/common", "ガーゼ交換&patient_id=" + r.patientID},
			} {
				q, extra, _ := strings.Cut(bc.q, "&")
				path := "/api/v1/search/records?limit=20&q=" + url.QueryEscape(q)
				if extra != "" {
					path += "&" + extra
				}
				b.Run(bc.name, func(b *testing.B) {
					r.nurseC.must(200, "GET", path, nil) // warm: statements prepared, pages cached
					b.ReportAllocs()
					for b.Loop() {
						if res := r.nurseC.do("GET", path, nil); res.status != 200 || !strings.Contains(res.body, `"hit":true`) {
							b.Fatalf("%d %.300s", res.status, res.body)
						}
					}
				})
			}
		})
	}
}

// searchPhrasesBench are what the records say: three of the common ones,
// and in one record of 97 the rare 褥瘡.
var searchPhrasesBench = []string{"バイタル安定。", "食事摂取良好。", "ガーゼ交換を実施。", "発熱なし。", "清拭、服薬確認。", "排便あり。",
	"訪問入浴の日程を調整。", "家族より相談あり。", "夜間よく眠れている。", "歩行器で室内移動。"}

// fillSearch inserts n nursing visits round the patients straight through
// the store (indexed as the API's writes are), 1,000 to a transaction.
func fillSearch(b testing.TB, h *harness, r *region, patients []string, n int) {
	b.Helper()
	ctx := context.Background()
	start := h.clock.Now().Add(-time.Duration(n) * time.Minute)
	for done := 0; done < n; {
		err := h.db.Write(ctx, func(tx *store.Tx) error {
			for i := 0; i < 1000 && done < n; i, done = i+1, done+1 {
				id := newID()
				at := start.Add(time.Duration(done) * time.Minute)
				text := searchPhrasesBench[done%10] + searchPhrasesBench[(done/10)%10] + searchPhrasesBench[(done/100)%10]
				if done%97 == 7 { // 97: not a multiple of the patients, so every patient has some
					text += "仙骨部に褥瘡、発赤あり。"
				}
				rec := store.Record{ID: id, PatientID: patients[done%len(patients)], Kind: care.KindNursingVisit, Chart: true, AuthorID: r.nurse.ID,
					AuthorFacilityID: r.station, AuthorProfession: care.ProfNurse, OccurredAt: at, CreatedAt: at, RequestHash: id}
				v := store.RecordVersion{RecordID: id, Version: 1, Status: care.RecordFinal, EnteredBy: r.nurse.ID, CreatedAt: at,
					Content: care.RecordContent{Text: text, AttachmentIDs: []string{}}}
				if err := tx.CreateRecord(ctx, rec, v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
