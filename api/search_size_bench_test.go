package api_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// BenchmarkSearchIndexSize writes records of 500 characters of varied
// nursing text (SEARCH_SIZE_N of them, 5,000 by default) round 50
// patients straight through the store, 1,000 to a transaction, and reports
// the process's CPU per record written and the bytes each table and index
// takes per record (SQLite: dbstat; PostgreSQL: pg_total_relation_size):
// what the search index costs a write and the disk.
//
//	SEARCH_SIZE_N=20000 go test ./api -run '^$' -bench SearchIndexSize -benchtime 1x
func BenchmarkSearchIndexSize(b *testing.B) {
	n := 5000
	if s := os.Getenv("SEARCH_SIZE_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for _, engine := range storetest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			h := newHarness(b, engine)
			r := h.mustRegion()
			ctx := context.Background()
			patients := []string{r.patientID}
			for i := 1; i < 50; i++ {
				patients = append(patients, h.mustOtherPatient(r))
			}
			rng := rand.New(rand.NewPCG(1, 2))
			start := h.clock.Now().Add(-time.Duration(n) * time.Minute)
			cpu0 := processCPU()
			for done := 0; done < n; {
				if err := h.db.Write(ctx, func(tx *store.Tx) error {
					for i := 0; i < 1000 && done < n; i, done = i+1, done+1 {
						id := newID()
						at := start.Add(time.Duration(done) * time.Minute)
						rec := store.Record{ID: id, PatientID: patients[done%len(patients)], Kind: care.KindNote, Chart: done%2 == 0, AuthorID: r.nurse.ID,
							AuthorFacilityID: r.station, AuthorProfession: care.ProfNurse, OccurredAt: at, CreatedAt: at, RequestHash: id}
						v := store.RecordVersion{RecordID: id, Version: 1, Status: care.RecordFinal, EnteredBy: r.nurse.ID, CreatedAt: at,
							Content: care.RecordContent{Text: nursingText(rng, 500), AttachmentIDs: []string{}}}
						if err := tx.CreateRecord(ctx, rec, v); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
			cpu := processCPU() - cpu0
			b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/record")
			var sizes []struct {
				Name  string `db:"name"`
				Bytes int64  `db:"bytes"`
			}
			q := `SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY 2 DESC`
			if engine == store.Postgres {
				q = `SELECT c.relname AS name, pg_total_relation_size(c.oid) AS bytes FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
					WHERE s.nspname = current_schema() AND c.relkind IN ('r', 'i') ORDER BY 2 DESC`
			}
			if err := h.db.Read(ctx, func(tx *store.Tx) error { return tx.Select(ctx, &sizes, q) }); err != nil {
				b.Fatal(err)
			}
			var total int64
			var lines []string
			for _, s := range sizes {
				if engine == store.SQLite || !strings.Contains(s.Name, "_pkey") {
					total += s.Bytes // PostgreSQL: a table's total holds its indexes
				}
				if s.Bytes/int64(n) >= 10 {
					lines = append(lines, fmt.Sprintf("%-36s %8d B/record", s.Name, s.Bytes/int64(n)))
				}
			}
			b.Logf("%s, %d records of 500 characters:\n%s", engine, n, strings.Join(lines, "\n"))
			b.ReportMetric(float64(total)/float64(n), "db-B/record")
		})
	}
}

// nursingText is n characters of nursing phrases picked by rng.
func nursingText(rng *rand.Rand, n int) string {
	phrases := []string{"バイタル安定。", "食事摂取良好。", "ガーゼ交換を実施。", "発熱なし。", "清拭、服薬確認。", "排便あり。",
		"訪問入浴の日程を調整。", "家族より相談あり。", "夜間よく眠れている。", "歩行器で室内移動。", "仙骨部に褥瘡、発赤あり。",
		"血圧", "脈拍", "体温", "酸素飽和度", "浮腫", "疼痛", "軽度", "右下肢", "左上肢", "創部", "軟膏塗布", "経過観察", "主治医へ報告",
		"ケアマネジャーと連絡", "デイサービス", "服薬カレンダー", "残薬", "水分摂取", "嚥下", "口腔ケア", "入浴介助", "更衣", "移乗",
		"リハビリ", "訪問看護", "ヘルパー", "妻", "長男", "次女", "午前", "午後", "夕方", "昨日", "本日", "明日", "mmHg", "℃", "SpO2 97%"}
	var b strings.Builder
	for k := 0; k < n; {
		p := phrases[rng.IntN(len(phrases))]
		if rng.IntN(3) == 0 {
			p += strconv.Itoa(rng.IntN(200))
		}
		for _, c := range p {
			if k == n {
				break
			}
			b.WriteRune(c)
			k++
		}
	}
	return b.String()
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
