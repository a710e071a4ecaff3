package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

type digestRecordJSON struct {
	RecordID         string `json:"record_id"`
	Kind             string `json:"kind"`
	AuthorName       string `json:"author_name"`
	AuthorProfession string `json:"author_profession"`
}

type digestJSON struct {
	Since    time.Time `json:"since"`
	Until    time.Time `json:"until"`
	Patients []struct {
		PatientID    string `json:"patient_id"`
		Name         string `json:"name"`
		ByProfession []struct {
			Profession string `json:"profession"`
			Count      int    `json:"count"`
		} `json:"by_profession"`
		NewRecords []digestRecordJSON `json:"new_records"`
		Vitals     []struct {
			digestRecordJSON
			Flags []struct {
				Field string `json:"field"`
				Level string `json:"level"`
				Value string `json:"value"`
			} `json:"flags"`
		} `json:"abnormal_vitals"`
		PlanChanges []struct {
			digestRecordJSON
			Change string `json:"change"`
		} `json:"plan_changes"`
		Reports []struct {
			digestRecordJSON
			Report    string `json:"report"`
			Flagged   bool   `json:"flagged"`
			Leftovers []struct {
				Name     string `json:"name"`
				Leftover int    `json:"leftover"`
			} `json:"leftovers"`
		} `json:"reports_to_doctor"`
		Instructions []struct {
			digestRecordJSON
			Instruction string `json:"instruction"`
			NotReadBy   []struct {
				UserID string `json:"user_id"`
			} `json:"not_read_by"`
		} `json:"instructions_awaiting"`
		Confirmations []digestRecordJSON `json:"awaiting_confirmation"`
	} `json:"patients"`
}

func getDigest(t *testing.T, c *client) digestJSON {
	t.Helper()
	var d digestJSON
	c.must(200, "GET", "/api/v1/me/digest", nil).json(t, &d)
	return d
}

// newIDs lists the ids of the new records of every patient of d.
func (d digestJSON) newIDs() []string {
	var ids []string
	for _, p := range d.Patients {
		for _, r := range p.NewRecords {
			ids = append(ids, r.RecordID)
		}
	}
	return ids
}

func hasID(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestDigestSinceLastLooked: the digest lists what others wrote since the
// caller last looked — by profession, with the abnormal vitals named, plan
// changes and the pharmacist's report with its leftover medicines; marking
// it seen moves "last looked" forward (never back, never in the future,
// never someone else's), and older records leave it; a record the caller
// may not read never appears.
func TestDigestSinceLastLooked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		pharmacy := h.mustFacility("pharmacy")
		pharmacist := h.mustUser(pharmacy, care.ProfPharmacist)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/team", map[string]any{"user_id": pharmacist.ID, "role": "visiting_pharmacist"})
		deputy := h.mustUser(r.clinic, care.ProfDoctor)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/team", map[string]any{"user_id": deputy.ID, "role": "deputy_physician"})
		pharmC, deputyC := h.signIn(pharmacist), h.signIn(deputy)

		// First look: a week back, so the region's nursing visit is new.
		first := getDigest(t, r.doctorC)
		if !first.Since.Equal(h.clock.Now().Add(-7 * 24 * time.Hour)) {
			t.Fatalf("first since %v, want a week before %v", first.Since, h.clock.Now())
		}
		if !hasID(first.newIDs(), r.recordID) {
			t.Fatalf("the nurse's visit is not new to the doctor: %+v", first)
		}

		h.clock.Advance(time.Minute)
		fever := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "nursing_visit", "text": "発熱あり",
			"vitals": map[string]any{"temperature_c": 38.2, "spo2": 89, "pulse": 80}}).ID
		meds := pharmC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "medication", "fields": map[string]any{
			"drugs_checked": []map[string]any{{"name": "アムロジピン錠5mg", "leftover": 12}, {"name": "酸化マグネシウム錠", "leftover": 0}},
			"adherence":     "partial", "report_to_doctor": "残薬が多く、服薬回数の見直しをご検討ください"}}).ID
		plan := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "text": "ケア内容変更", "plan_changed": true}).ID
		hidden := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "nursing_visit", "text": "訪問"}).ID
		own := r.doctorC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "text": "自分の記録"}).ID
		h.clock.Advance(time.Minute)

		d := getDigest(t, r.doctorC)
		if len(d.Patients) != 1 || d.Patients[0].PatientID != r.patientID {
			t.Fatalf("patients %+v", d.Patients)
		}
		p := d.Patients[0]
		ids := d.newIDs()
		for _, id := range []string{r.recordID, fever, meds, plan, hidden} {
			if !hasID(ids, id) {
				t.Errorf("record %s not new in the doctor's digest", id)
			}
		}
		if hasID(ids, own) {
			t.Error("the doctor's own record is news to them")
		}
		counts := map[string]int{}
		for _, c := range p.ByProfession {
			counts[c.Profession] = c.Count
		}
		if counts[care.ProfNurse] != 4 || counts[care.ProfPharmacist] != 1 || len(counts) != 2 {
			t.Errorf("by profession %v, want nurse 4, pharmacist 1", counts)
		}
		if len(p.Vitals) != 1 || p.Vitals[0].RecordID != fever {
			t.Fatalf("abnormal vitals %+v", p.Vitals)
		}
		var flagged []string
		for _, f := range p.Vitals[0].Flags {
			flagged = append(flagged, f.Field+" "+f.Level+" "+f.Value)
		}
		if strings.Join(flagged, ",") != "vitals.temperature_c high 38.2,vitals.spo2 low 89" {
			t.Errorf("flags %v", flagged)
		}
		if len(p.PlanChanges) != 1 || p.PlanChanges[0].RecordID != plan {
			t.Errorf("plan changes %+v", p.PlanChanges)
		}
		if len(p.Reports) != 1 || p.Reports[0].RecordID != meds || p.Reports[0].Report == "" || p.Reports[0].AuthorProfession != care.ProfPharmacist ||
			len(p.Reports[0].Leftovers) != 1 || p.Reports[0].Leftovers[0].Leftover != 12 {
			t.Errorf("reports %+v", p.Reports)
		}

		// The care worker reads no chart record: none of them is in their
		// digest, only the shared note.
		hd := getDigest(t, r.helperC)
		hids := hd.newIDs()
		for _, id := range []string{r.recordID, fever, meds, hidden} {
			if hasID(hids, id) {
				t.Errorf("chart record %s in the care worker's digest", id)
			}
		}
		if !hasID(hids, plan) || !hasID(hids, own) {
			t.Errorf("the care worker's digest misses shared notes: %v", hids)
		}
		// An outsider reaches no patient: an empty digest.
		if od := getDigest(t, h.signIn(r.outsider)); len(od.Patients) != 0 {
			t.Errorf("outsider's digest %+v", od.Patients)
		}

		// Seen: what came before vanishes; what comes after is new.
		var seen struct{ Since time.Time }
		r.doctorC.must(200, "POST", "/api/v1/me/digest/seen", map[string]any{"until": d.Until}).json(t, &seen)
		if !seen.Since.Equal(d.Until) {
			t.Fatalf("seen since %v, want %v", seen.Since, d.Until)
		}
		h.clock.Advance(time.Minute)
		if d := getDigest(t, r.doctorC); len(d.Patients) != 0 || !d.Since.Equal(seen.Since) {
			t.Fatalf("after seen: since %v patients %+v", d.Since, d.Patients)
		}
		later := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "text": "夕方の様子"}).ID
		h.clock.Advance(time.Minute)
		if ids := getDigest(t, r.doctorC).newIDs(); len(ids) != 1 || ids[0] != later {
			t.Fatalf("after seen, new %v, want only %s", ids, later)
		}
		// Only forward; not in the future; a missing until names the field.
		r.doctorC.must(200, "POST", "/api/v1/me/digest/seen", map[string]any{"until": d.Since}).json(t, &seen)
		if !seen.Since.Equal(d.Until) {
			t.Fatalf("seen moved back to %v", seen.Since)
		}
		for _, body := range []map[string]any{{"until": h.clock.Now().Add(time.Hour)}, {}} {
			if res := r.doctorC.must(422, "POST", "/api/v1/me/digest/seen", body); !strings.Contains(res.body, "until") {
				t.Errorf("bad until: %s", res.body)
			}
		}
		// The deputy's seen moves the deputy's, not the doctor's.
		deputyC.must(200, "POST", "/api/v1/me/digest/seen", map[string]any{"until": h.clock.Now()})
		if d := getDigest(t, r.doctorC); !d.Since.Equal(seen.Since) || !hasID(d.newIDs(), later) {
			t.Fatalf("the deputy's seen moved the doctor's: since %v", d.Since)
		}
		if d := getDigest(t, deputyC); len(d.newIDs()) != 0 {
			t.Fatalf("the deputy's digest after seen: %v", d.newIDs())
		}

		// The station now discloses its chart records to its own staff only:
		// its nurse's new visit is not the doctor's to read, nor news to him.
		if _, err := h.db.SQL().Exec(h.db.SQL().Rebind(`UPDATE facility SET disclosure = 'shared_only' WHERE id = ?`), r.station); err != nil {
			t.Fatal(err)
		}
		closed := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "nursing_visit", "text": "施設内のみ",
			"vitals": map[string]any{"spo2": 85}}).ID
		h.clock.Advance(time.Minute)
		if ids := getDigest(t, r.doctorC).newIDs(); hasID(ids, closed) {
			t.Fatalf("a shared_only facility's chart record is in another facility's doctor's digest: %v", ids)
		}

		// The digest reads are audited, one a patient.
		var n int
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Get(context.Background(), &n, `SELECT COUNT(*) FROM audit_event WHERE actor_id = ? AND action = 'record.digest' AND patient_id = ?`, r.doctor.ID, r.patientID)
		})
		if n < 3 {
			t.Errorf("%d audited digest reads, want one a look", n)
		}
	})
}

// TestDigestInstructionsAndConfirmations: the doctor's valid instruction
// lists the team members who read it and have not yet (not the care
// worker, who reads no chart); reading it takes them off; an expired one
// is not listed. A record another amended awaits the doctor's confirmation.
func TestDigestInstructionsAndConfirmations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		tomorrow := h.clock.Now().In(time.FixedZone("JST", 9*3600)).AddDate(0, 0, 1).Format("2006-01-02")
		instr := r.doctorC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "doctor_note", "fields": map[string]any{
			"instruction": "発熱時は解熱剤を使用し連絡", "instruction_valid_until": tomorrow}}).ID
		r.doctorC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "doctor_note", "fields": map[string]any{
			"instruction": "期限切れの指示", "instruction_valid_until": "2026-01-01"}})
		h.clock.Advance(time.Minute)
		p := getDigest(t, r.doctorC).Patients
		if len(p) != 1 || len(p[0].Instructions) != 1 || p[0].Instructions[0].RecordID != instr {
			t.Fatalf("instructions %+v", p)
		}
		if nr := p[0].Instructions[0].NotReadBy; len(nr) != 1 || nr[0].UserID != r.nurse.ID {
			t.Fatalf("not read by %+v, want the nurse only", nr)
		}
		r.nurseC.must(200, "POST", "/api/v1/records/"+instr+"/read", nil)
		// The nurse amends the doctor's instruction: it awaits the
		// doctor's confirmation, and no longer awaits anyone's reading.
		r.nurseC.must(201, "POST", "/api/v1/records/"+instr+"/amendments", map[string]any{"reason": "追記", "base_version": 1,
			"fields": map[string]any{"instruction": "発熱時は解熱剤を使用し連絡（38℃以上）", "instruction_valid_until": tomorrow}})
		h.clock.Advance(time.Minute)
		p = getDigest(t, r.doctorC).Patients
		if len(p) != 1 || len(p[0].Instructions) != 0 {
			t.Fatalf("instructions after reading %+v", p)
		}
		if len(p[0].Confirmations) != 1 || p[0].Confirmations[0].RecordID != instr {
			t.Fatalf("confirmations %+v", p[0].Confirmations)
		}
	})
}
