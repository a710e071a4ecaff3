package api

import (
	"context"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// The doctor's digest (今日のまとめ): what is new across my patients since
// I last looked, and what still waits for me or for the team.
const (
	// digestFirstWindow is how far back the digest looks for a user who
	// never marked it seen.
	digestFirstWindow = 7 * 24 * time.Hour
	// digestMaxRecords bounds the new records one answer carries.
	digestMaxRecords = 500
	// instructionWindow: an instruction without a last valid day holds
	// this long after its record; candidates are looked for this far back.
	instructionWindow    = 30 * 24 * time.Hour
	instructionLookBack  = 90 * 24 * time.Hour
	digestMaxInstruction = 200
	digestMaxConfirm     = 200
)

type DigestOutput struct {
	Body DigestBody
}

type DigestBody struct {
	Since     time.Time       `json:"since" doc:"what was written after this is new: when the caller last marked the digest seen (a week before now if never)"`
	Until     time.Time       `json:"until" doc:"the server's time of this answer: send it to markDigestSeen so that what arrives later stays new"`
	Truncated bool            `json:"truncated,omitempty" doc:"more new records than one answer carries; the newest are listed"`
	Patients  []DigestPatient `json:"patients" doc:"patients with something new or waiting, in caseload order (kana)"`
}

// DigestPatient is what is new or waiting for one patient.
type DigestPatient struct {
	PatientID     string              `json:"patient_id" format:"uuid"`
	Name          string              `json:"name"`
	NameKana      string              `json:"name_kana"`
	ByProfession  []ProfessionCount   `json:"by_profession" doc:"new records counted by the author's profession"`
	NewRecords    []DigestRecord      `json:"new_records" doc:"records written since, newest written first"`
	Vitals        []DigestVitals      `json:"abnormal_vitals" doc:"new records with values outside the screening ranges, and which"`
	PlanChanges   []DigestPlanChange  `json:"plan_changes" doc:"new records saying the plan changed (plan_changed, or a care plan change)"`
	Reports       []DigestReport      `json:"reports_to_doctor" doc:"new medication records reporting to the doctor or finding leftover medicines (残薬)"`
	Instructions  []DigestInstruction `json:"instructions_awaiting" doc:"the caller's instructions, still valid, that team members who read them have not read yet"`
	Confirmations []DigestRecord      `json:"awaiting_confirmation" doc:"records awaiting the caller's confirmation (確定待ち)"`
}

type ProfessionCount struct {
	Profession string `json:"profession"`
	Count      int    `json:"count"`
}

// DigestRecord names one record of the digest.
type DigestRecord struct {
	RecordID         string    `json:"record_id" format:"uuid"`
	Kind             string    `json:"kind"`
	Status           string    `json:"status"`
	AuthorID         string    `json:"author_id" format:"uuid"`
	AuthorName       string    `json:"author_name"`
	AuthorProfession string    `json:"author_profession"`
	OccurredAt       time.Time `json:"occurred_at"`
	CreatedAt        time.Time `json:"created_at"`
}

type DigestVitals struct {
	DigestRecord
	Flags []care.Flag `json:"flags"`
}

type DigestPlanChange struct {
	DigestRecord
	Change string `json:"change,omitempty" doc:"what changed, as written (plan_change of a care note, plan of another record)"`
}

type DigestReport struct {
	DigestRecord
	Report    string           `json:"report,omitempty" doc:"the report to the doctor (report_to_doctor)"`
	Flagged   bool             `json:"flagged" doc:"flag_to_doctor"`
	Adherence string           `json:"adherence,omitempty"`
	Leftovers []DigestLeftover `json:"leftovers" doc:"drugs with leftover doses found at home"`
}

type DigestLeftover struct {
	Name     string `json:"name"`
	Leftover int    `json:"leftover"`
}

type DigestInstruction struct {
	DigestRecord
	Instruction string         `json:"instruction"`
	ValidUntil  string         `json:"valid_until,omitempty"`
	NotReadBy   []DigestMember `json:"not_read_by" doc:"active team members who read this record and have not yet"`
}

type DigestMember struct {
	UserID     string `json:"user_id" format:"uuid"`
	Name       string `json:"name"`
	Profession string `json:"profession"`
}

// getDigest answers the caller's digest. Only records the caller reads now
// are used (the caseload's levels, care.RecordScope in SQL); each patient
// listed is an audited view, written before the answer.
func (s *Server) getDigest(ctx context.Context, _ *struct{}) (*DigestOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	out := &DigestOutput{}
	out.Body.Until = now
	out.Body.Patients = []DigestPatient{}
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		since, ok, err := tx.DigestSeen(ctx, pr.User.ID)
		if err != nil {
			return err
		}
		if !ok {
			since = now.Add(-digestFirstWindow)
		}
		out.Body.Since = since
		c, err := s.caseloadLevels(ctx, tx, pr)
		if err != nil {
			return err
		}
		fresh, err := tx.DigestRecords(ctx, store.DigestQuery{Viewer: pr.Viewer, ChartPatients: c.chart, SharedPatients: c.shared, Since: since, Limit: digestMaxRecords + 1})
		if err != nil {
			return err
		}
		if len(fresh) > digestMaxRecords {
			fresh, out.Body.Truncated = fresh[:digestMaxRecords], true
		}
		instr, err := s.openInstructions(ctx, tx, pr, c, now)
		if err != nil {
			return err
		}
		confirm, err := tx.AwaitingConfirmation(ctx, store.AwaitingQuery{Author: pr.Viewer, ChartPatients: c.chart, SharedPatients: c.shared, Limit: digestMaxConfirm})
		if err != nil {
			return err
		}
		var authors []string
		for _, group := range [][]store.TimelineItem{fresh, confirm} {
			for _, it := range group {
				authors = append(authors, it.AuthorID)
			}
		}
		for _, in := range instr {
			authors = append(authors, in.AuthorID)
		}
		names, err := tx.UserNames(ctx, authors)
		if err != nil {
			return err
		}
		ref := func(it store.TimelineItem) DigestRecord {
			return DigestRecord{RecordID: it.ID, Kind: it.Kind, Status: it.Current.Status, AuthorID: it.AuthorID, AuthorName: names[it.AuthorID],
				AuthorProfession: it.AuthorProfession, OccurredAt: it.OccurredAt, CreatedAt: it.CreatedAt}
		}
		byPatient := map[string]*DigestPatient{}
		get := func(id string) *DigestPatient {
			p := byPatient[id]
			if p == nil {
				p = &DigestPatient{PatientID: id, ByProfession: []ProfessionCount{}, NewRecords: []DigestRecord{}, Vitals: []DigestVitals{},
					PlanChanges: []DigestPlanChange{}, Reports: []DigestReport{}, Instructions: []DigestInstruction{}, Confirmations: []DigestRecord{}}
				byPatient[id] = p
			}
			return p
		}
		for _, it := range fresh {
			p := get(it.PatientID)
			p.NewRecords = append(p.NewRecords, ref(it))
			countProfession(p, it.AuthorProfession)
			if it.Current.Status != care.RecordFinal {
				continue
			}
			cont := it.Current.Content
			if fl := flagsOf(cont); len(fl) > 0 {
				p.Vitals = append(p.Vitals, DigestVitals{DigestRecord: ref(it), Flags: fl})
			}
			if cont.PlanChanged || cont.Fields.PlanChange != "" {
				change := cont.Fields.PlanChange
				if change == "" {
					change = cont.Fields.Plan
				}
				p.PlanChanges = append(p.PlanChanges, DigestPlanChange{DigestRecord: ref(it), Change: change})
			}
			if it.Kind == care.KindMedication {
				rep := DigestReport{DigestRecord: ref(it), Report: cont.Fields.ReportToDoctor, Flagged: cont.Fields.FlagToDoctor,
					Adherence: cont.Fields.Adherence, Leftovers: []DigestLeftover{}}
				for _, d := range cont.Fields.DrugsChecked {
					if d.Leftover != nil && *d.Leftover > 0 {
						rep.Leftovers = append(rep.Leftovers, DigestLeftover{Name: d.Name, Leftover: *d.Leftover})
					}
				}
				if rep.Report != "" || rep.Flagged || len(rep.Leftovers) > 0 {
					p.Reports = append(p.Reports, rep)
				}
			}
		}
		for _, in := range instr {
			in.DigestRecord.AuthorName = names[in.AuthorID]
			p := get(in.patientID)
			p.Instructions = append(p.Instructions, in.DigestInstruction)
		}
		for _, it := range confirm {
			p := get(it.PatientID)
			p.Confirmations = append(p.Confirmations, ref(it))
		}
		for _, id := range c.order {
			p := byPatient[id]
			if p == nil {
				continue
			}
			pt, err := tx.Patient(ctx, id)
			if err != nil {
				return err
			}
			p.Name, p.NameKana = pt.Name, pt.NameKana
			out.Body.Patients = append(out.Body.Patients, *p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out.Body.Patients) > 0 {
		events := make([]*audit.Event, 0, len(out.Body.Patients))
		for _, p := range out.Body.Patients {
			events = append(events, s.event(ctx, pr, "record.digest", p.PatientID, "record", ""))
		}
		if err := s.auditAfterRead(ctx, events); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func countProfession(p *DigestPatient, prof string) {
	for i := range p.ByProfession {
		if p.ByProfession[i].Profession == prof {
			p.ByProfession[i].Count++
			return
		}
	}
	p.ByProfession = append(p.ByProfession, ProfessionCount{Profession: prof, Count: 1})
}

type openInstruction struct {
	DigestInstruction
	patientID string
}

// openInstructions are the caller's doctor_note instructions that still
// hold (to their last valid day, Asia/Tokyo, or instructionWindow after
// the record without one) and that some active member of the team, who
// reads the record under the access rules, has not read.
func (s *Server) openInstructions(ctx context.Context, tx *store.Tx, pr *Principal, c caseload, now time.Time) ([]openInstruction, error) {
	items, err := tx.AuthoredInstructions(ctx, pr.Viewer, c.chart, now.Add(-instructionLookBack), digestMaxInstruction)
	if err != nil {
		return nil, err
	}
	today := now.In(tokyo).Format("2006-01-02")
	reaches := map[string]store.Reach{}
	var out []openInstruction
	for _, it := range items {
		f := it.Current.Content.Fields
		if it.Current.Status != care.RecordFinal || f.Instruction == "" {
			continue
		}
		if f.InstructionValidUntil != "" && f.InstructionValidUntil < today || f.InstructionValidUntil == "" && it.OccurredAt.Before(now.Add(-instructionWindow)) {
			continue
		}
		if len(reaches) == 0 {
			rs, err := tx.Reaches(ctx, pr.User.ID, pr.Viewer.FacilityID)
			if err != nil {
				return nil, err
			}
			for _, r := range rs {
				reaches[r.ID] = r
			}
		}
		facts := reaches[it.PatientID].Facts()
		team, err := tx.Team(ctx, it.PatientID)
		if err != nil {
			return nil, err
		}
		readers, err := tx.RecordReaders(ctx, it.ID)
		if err != nil {
			return nil, err
		}
		read := map[string]bool{}
		for _, r := range readers {
			read[r.UserID] = true
		}
		rf, err := recordFacts(ctx, tx, it.Record, care.Chart)
		if err != nil {
			return nil, err
		}
		in := openInstruction{patientID: it.PatientID, DigestInstruction: DigestInstruction{
			DigestRecord: DigestRecord{RecordID: it.ID, Kind: it.Kind, Status: it.Current.Status, AuthorID: it.AuthorID,
				AuthorProfession: it.AuthorProfession, OccurredAt: it.OccurredAt, CreatedAt: it.CreatedAt},
			Instruction: f.Instruction, ValidUntil: f.InstructionValidUntil, NotReadBy: []DigestMember{}}}
		for _, m := range team {
			if m.UserID == it.AuthorID || m.Status != care.StatusActive || read[m.UserID] {
				continue
			}
			v := care.Viewer{UserID: m.UserID, FacilityID: m.FacilityID, Profession: m.Profession}
			mf := facts
			mf.OnTeam, mf.TeamRole = true, m.Role
			if !care.RecordScopeFor(v, care.PatientAccess(s.opt.Care, v, mf)).Reads(rf) {
				continue
			}
			in.NotReadBy = append(in.NotReadBy, DigestMember{UserID: m.UserID, Name: m.Name, Profession: m.Profession})
		}
		if len(in.NotReadBy) > 0 {
			out = append(out, in)
		}
	}
	return out, nil
}

type DigestSeenInput struct {
	Body struct {
		Until time.Time `json:"until" doc:"the until of the digest the caller looked at; what was written after it stays new"`
	}
}

type DigestSeenOutput struct {
	Body struct {
		Since time.Time `json:"since" doc:"the caller's digest now starts here"`
	}
}

// markDigestSeen moves the caller's "last looked" to until, only forward
// (an earlier until changes nothing); never someone else's.
func (s *Server) markDigestSeen(ctx context.Context, in *DigestSeenInput) (*DigestSeenOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	until := in.Body.Until.UTC()
	if until.IsZero() {
		return nil, care.Invalid("until", "is required")
	}
	if until.After(now) {
		return nil, care.Invalid("until", "must not be in the future")
	}
	out := &DigestSeenOutput{}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		at, err := tx.MarkDigestSeen(ctx, pr.User.ID, until, now)
		if err != nil {
			return err
		}
		out.Body.Since = at
		return audit.Append(ctx, tx, s.event(ctx, pr, "digest.seen", "", "user", pr.User.ID))
	})
	return out, err
}
