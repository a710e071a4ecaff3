package main

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"tsunagu/scripts/internal/loadclient"
)

// fixture is what the fill made and the load uses.
type fixture struct {
	patients []string
}

// users are the demo users the devices belong to: demo.doctor makes the
// patients; the others join each patient's team.
var users = []string{"demo.nurse", "demo.nurse2", "demo.doctor", "demo.doctor2", "demo.pharmacist", "demo.caremanager"}

var teamRoles = map[string]string{"demo.nurse": "visiting_nurse", "demo.nurse2": "visiting_nurse", "demo.doctor2": "deputy_physician",
	"demo.pharmacist": "visiting_pharmacist", "demo.caremanager": "care_manager"}

// phrases make the records' texts, so that the searches find something.
var phrases = []string{"バイタル安定。", "食事摂取良好。", "仙骨部に褥瘡、発赤あり。", "ガーゼ交換実施。", "吸引施行、痰は白色少量。",
	"下肢に浮腫あり、保湿剤塗布。", "服薬確認、残薬なし。", "排便あり、普通便。", "入浴介助、皮膚状態良好。", "家族より夜間不眠の訴え。"}

// searchWords are what the search requests look for.
var searchWords = []string{"褥瘡", "ガーゼ交換", "吸引", "浮腫 保湿剤", "夜間不眠"}

func recordText(i int) string {
	var b strings.Builder
	for k := 0; k < 3+i%4; k++ {
		b.WriteString(phrases[(i*7+k*3)%len(phrases)])
	}
	return b.String()
}

// recordCreate is a record.create mutation with a varied text.
func recordCreate(seq int64, patientID string, i int) map[string]any {
	m := loadclient.RecordMutation(seq, patientID)
	m["args"].(map[string]any)["text"] = recordText(i)
	return m
}

// fill makes n patients, each with a team of six (the demo users), a
// weekly visit series and perPatient records, through the API of the
// instances in turn.
func fill(bases []string, n, perPatient int) (*fixture, error) {
	admin, err := loadclient.SignIn(bases[0], "demo.admin", loadclient.DemoPassword)
	if err != nil {
		return nil, err
	}
	var us struct {
		Users []struct {
			ID      string `json:"id"`
			LoginID string `json:"login_id"`
		} `json:"users"`
	}
	if err := admin.JSON("GET", "/api/v1/users", nil, &us); err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for _, u := range us.Users {
		ids[u.LoginID] = u.ID
	}
	for _, u := range users {
		if ids[u] == "" {
			return nil, fmt.Errorf("no demo user %s", u)
		}
	}
	fx := &fixture{patients: make([]string, n)}
	monday := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -int(time.Now().UTC().Weekday()+6)%7)
	days := []string{"MO", "TU", "WE", "TH", "FR"}

	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			doctor, err := loadclient.SignIn(bases[w%len(bases)], "demo.doctor", loadclient.DemoPassword)
			if err != nil {
				errs <- err
				return
			}
			for i := w; i < n; i += 4 {
				var p struct{ ID string }
				if err := doctor.JSON("POST", "/api/v1/patients", map[string]any{"name": fmt.Sprintf("耐久 試験%d", i), "name_kana": "タイキュウ シケン",
					"birth_date": "1938-04-01", "sex": "unknown", "address": "架空", "phone": ""}, &p); err != nil {
					errs <- err
					return
				}
				if err := doctor.JSON("POST", "/api/v1/patients/"+p.ID+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full"}, nil); err != nil {
					errs <- err
					return
				}
				for _, u := range users {
					if role := teamRoles[u]; role != "" {
						if err := doctor.JSON("POST", "/api/v1/patients/"+p.ID+"/team", map[string]any{"user_id": ids[u], "role": role}, nil); err != nil {
							errs <- err
							return
						}
					}
				}
				start := monday.AddDate(0, 0, i%5).Add(time.Duration(1+i%7) * time.Hour) // 10:00–16:00 in Tokyo
				if err := doctor.JSON("POST", "/api/v1/patients/"+p.ID+"/visits", map[string]any{"kind": "nurse_visit",
					"assignee_ids": []string{ids[users[i%2]]}, "starts_at": start.Format(time.RFC3339), "ends_at": start.Add(time.Hour).Format(time.RFC3339),
					"recurrence": map[string]any{"freq": "weekly", "interval": 1, "by_day": []string{days[i%5]}, "count": 26}}, nil); err != nil {
					errs <- err
					return
				}
				fx.patients[i] = p.ID
			}
		}(w)
	}
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}

	seed, err := loadclient.SignIn(bases[0], "demo.nurse", loadclient.DemoPassword)
	if err != nil {
		return nil, err
	}
	dev, seq, k := uuid.NewString(), int64(0), 0
	batch := []any{}
	for _, pid := range fx.patients {
		for j := 0; j < perPatient; j++ {
			seq++
			k++
			batch = append(batch, recordCreate(seq, pid, k))
			if len(batch) == 500 {
				if err := seed.Push(dev, batch...); err != nil {
					return nil, err
				}
				batch = batch[:0]
			}
		}
	}
	if len(batch) > 0 {
		if err := seed.Push(dev, batch...); err != nil {
			return nil, err
		}
	}
	return fx, nil
}
