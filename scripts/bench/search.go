package main

import (
	"fmt"
	"net/url"
	"os"
	"strings"
)

// searchRuns (C, record search) fills the database up to 100,000 records of
// the nurse's 50 patients and measures, at 8 clients, the timeline at that
// size beside a search across her patients and one in a patient. Runs with
// -only search (or no -only).
func (s *server) searchRuns(seed *client, patients []string, dev *string, seq *int64, add func(what, got, budget string)) error {
	if *only != "" && !strings.Contains(*only, "search") {
		return nil
	}
	if err := s.fillRecords(seed, patients, dev, seq, 100_000); err != nil {
		return err
	}
	n, lat := s.load("timeline-100k-search", 8, "demo.nurse", func(cl *client, w *worker) error {
		return cl.get("/api/v1/patients/" + patients[w.n%len(patients)] + "/records?limit=20")
	})
	add("timeline, newest 20 of a patient, 100,000 records, 8 clients", fmt.Sprintf("%.0f/s (p50 %.1f ms)", n, lat), "")
	words := []string{"褥瘡", "ガーゼ交換", "発熱", "食事摂取", "訪問入浴 調整"}
	n, lat = s.load("search-all", 8, "demo.nurse", func(cl *client, w *worker) error {
		return cl.get("/api/v1/search/records?limit=20&q=" + url.QueryEscape(words[w.n%len(words)]))
	})
	add("search across 50 patients (100,000 records), 20 a page, 8 clients", fmt.Sprintf("%.0f/s (p50 %.1f ms)", n, lat), "")
	n, lat = s.load("search-patient", 8, "demo.nurse", func(cl *client, w *worker) error {
		return cl.get("/api/v1/search/records?limit=20&patient_id=" + patients[w.n%len(patients)] + "&q=" + url.QueryEscape(words[w.n%len(words)]))
	})
	add("search in one patient (2,000 records), 20 a page, 8 clients", fmt.Sprintf("%.0f/s (p50 %.1f ms)", n, lat), "")
	return nil
}

// searchPhrases are what the search bench's records say: every record a
// few of the common ones, one in 97 the rare one (褥瘡).
var searchPhrases = []string{"バイタル安定。", "食事摂取良好。", "ガーゼ交換を実施。", "発熱なし。", "清拭、服薬確認。", "排便あり。",
	"訪問入浴の日程を調整。", "家族より相談あり。", "夜間よく眠れている。", "歩行器で室内移動。"}

// fillRecords pushes nursing records, 500 to a push, round the patients,
// until the database holds total records.
func (s *server) fillRecords(seed *client, patients []string, dev *string, seq *int64, total int) error {
	var have int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM record`).Scan(&have); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "filling: %d → %d records …\n", have, total)
	for k := 0; have < total; k++ {
		ms := make([]map[string]any, 0, 500)
		for j := 0; j < 500 && have+j < total; j++ {
			*seq++
			i := int(*seq)
			m := recordMutation(*seq, patients[i%len(patients)])
			text := searchPhrases[i%10] + searchPhrases[(i/10)%10] + searchPhrases[(i/100)%10]
			if i%97 == 7 { // 97: not a multiple of the patients, so every patient has some
				text += "仙骨部に褥瘡、発赤あり。"
			}
			m["args"].(map[string]any)["text"] = text
			ms = append(ms, m)
		}
		seed.mustJSON("POST", "/api/v1/sync/push", map[string]any{"device_id": *dev, "mutations": ms}, nil)
		have += len(ms)
		if k%40 == 39 {
			fmt.Fprintf(os.Stderr, "  %d records\n", have)
		}
	}
	return nil
}
