package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/careplan"
	"tsunagu/internal/store"
)

// Codes of the care-plan import and export (their messages are added to
// the one table in init below).
const (
	codeCareplanFile      = "careplan_file_invalid"  // the file breaks the standard: the problem names row, column and rule
	codeNoOfficeNumber    = "office_number_missing"  // the caller's facility has no 介護保険事業所番号
	codeCareplanAddressee = "careplan_not_addressed" // the file is addressed to another office
)

func init() {
	messages[codeCareplanFile] = message{422, "ファイルがケアプランデータ連携の標準仕様に合いません。表示された行と列を確認してください。何も取り込んでいません。",
		"The file does not follow the care-plan data standard; check the row and column shown. Nothing was imported."}
	messages[codeNoOfficeNumber] = message{409, "所属施設の介護保険事業所番号が登録されていません。ネットワーク事務局に登録を依頼してください。",
		"Your facility has no long-term-care office number (介護保険事業所番号); ask the network office to register it."}
	messages[codeCareplanAddressee] = message{422, "このファイルは別の事業所宛てです（ファイル名の送信先の事業所番号が所属施設のものと違います）。",
		"This file is addressed to another office (the addressee number in its name is not your facility's)."}
}

// Reasons a row of a 予定 file makes no visit.
const (
	reasonUnknownPatient = "unknown_patient"   // no patient the caller reaches has these numbers
	reasonAmbiguous      = "ambiguous_patient" // several do
	reasonOtherProvider  = "other_provider"    // the row's サービス事業者コード is not the caller's facility's: the file holds every provider's services of the user (標準仕様 2.6)
	reasonNotAVisit      = "not_a_visit"       // a service without visits at a time (福祉用具貸与…, or times 9999)
	reasonDuplicate      = "duplicate_slot"    // an earlier row plans the same patient, day and time: a 加算 row carries its base service's time
)

type CareplanFileInput struct {
	FileName string `query:"filename" required:"true" maxLength:"80" doc:"the file's name, which the standard defines: UPPLAN_YYYYMM_<sender office number>_<sender service type>_<addressee office number>_<addressee service type>_<YYYYMMDDHHMMSS>.CSV (4.x), or without the service types (3.x)"`
	RawBody  []byte `contentType:"text/csv" doc:"the 第6表 予定 file as received: CSV in Shift-JIS (MS932)"`
}

// CareplanSlot is one visit a 予定 file plans for a patient the caller
// reaches, and what the import does with it.
type CareplanSlot struct {
	Row         int       `json:"row" doc:"the file's row"`
	PatientID   string    `json:"patient_id" format:"uuid"`
	PatientName string    `json:"patient_name"`
	Kind        string    `json:"kind" enum:"nurse_visit,doctor_visit,pharmacist_visit,care_service"`
	StartsAt    time.Time `json:"starts_at"`
	EndsAt      time.Time `json:"ends_at"`
	Service     string    `json:"service" doc:"the service: its サービス種類's name and サービスコード (the file names it by code only)"`
	ServiceCode string    `json:"service_code" doc:"サービスコード: サービス種類コード 2 + サービス項目コード 4"`
	AssigneeIDs []string  `json:"assignee_ids" doc:"the patient's team members of the caller's facility the visit goes to"`
	Action      string    `json:"action" enum:"create,keep,replan" doc:"create a visit; keep the one an earlier import made; plan again one that was cancelled"`
	VisitID     string    `json:"visit_id,omitempty" format:"uuid" doc:"keep and replan: the visit; create, once imported: the new visit"`
}

// CareplanCancel is a visit an earlier import of this month's plan from
// the same office made, not done yet, that the file no longer plans.
type CareplanCancel struct {
	VisitID     string    `json:"visit_id" format:"uuid"`
	PatientID   string    `json:"patient_id" format:"uuid"`
	PatientName string    `json:"patient_name"`
	Kind        string    `json:"kind"`
	StartsAt    time.Time `json:"starts_at"`
	EndsAt      time.Time `json:"ends_at"`
	Service     string    `json:"service"`
}

// CareplanUnmatched is a row of the file that makes no visit, and why.
type CareplanUnmatched struct {
	Row           int    `json:"row"`
	InsuredNumber string `json:"insured_number" doc:"the row's 被保険者番号, to find it in the care manager's software"`
	Service       string `json:"service"`
	Reason        string `json:"reason" enum:"unknown_patient,ambiguous_patient,other_provider,not_a_visit,duplicate_slot"`
}

// CareplanPlan is what importing a 予定 file does (preview) or did (import).
type CareplanPlan struct {
	FileName   string              `json:"file_name"`
	Month      string              `json:"month" doc:"YYYY-MM"`
	FromOffice string              `json:"from_office" doc:"the care manager's office (送信元)"`
	ToOffice   string              `json:"to_office" doc:"the caller's facility (送信先)"`
	Digest     string              `json:"digest" doc:"SHA-256 of the file"`
	Imported   bool                `json:"imported" doc:"false for a preview"`
	Slots      []CareplanSlot      `json:"slots"`
	Cancels    []CareplanCancel    `json:"cancels"`
	Unmatched  []CareplanUnmatched `json:"unmatched"`
	Created    int                 `json:"created"`
	Kept       int                 `json:"kept"`
	Replanned  int                 `json:"replanned"`
	Cancelled  int                 `json:"cancelled"`
}

type CareplanPlanOutput struct{ Body CareplanPlan }

// fileProblem turns a file that breaks the standard into a problem whose
// one error names the row and the column (body.rows[R].columns[C]) and
// whose message is the column's name and the rule.
func fileProblem(ctx context.Context, err error) error {
	e, ok := careplan.AsError(err)
	if !ok {
		return err
	}
	loc, msg := "query.filename", e.Rule
	switch {
	case e.Row > 0 && e.Column > 0:
		loc, msg = fmt.Sprintf("body.rows[%d].columns[%d]", e.Row, e.Column), e.Name+": "+e.Rule
	case e.Row > 0:
		loc = fmt.Sprintf("body.rows[%d]", e.Row)
	case e.Rule == careplan.RuleEmptyFile || e.Rule == careplan.RuleTooManyRow:
		loc = "body"
	}
	return newProblem(ctx, codeCareplanFile, &huma.ErrorDetail{Location: loc, Message: msg})
}

// careplanPlan reads a 予定 file addressed to the caller's facility and
// works out, inside tx, what importing it does. Patients are matched on
// 保険者番号 and 被保険者番号 among those the caller reaches (on their team
// under an active consent): a patient the caller does not reach is the same
// unknown_patient as one that does not exist.
func (s *Server) careplanPlan(ctx context.Context, tx *store.Tx, pr *Principal, in *CareplanFileInput) (*CareplanPlan, []store.CareplanVisit, map[int]careplan.Row, error) {
	name, rows, err := careplan.Read(in.FileName, in.RawBody)
	if err != nil {
		return nil, nil, nil, fileProblem(ctx, err)
	}
	if name.Prefix != careplan.PrefixPlan {
		return nil, nil, nil, fileProblem(ctx, &careplan.Error{Rule: careplan.RuleFileKind})
	}
	fac, err := s.ownFacility(ctx, tx, pr)
	if err != nil {
		return nil, nil, nil, err
	}
	if name.To != fac.OfficeNumber {
		return nil, nil, nil, &care.Error{Code: codeCareplanAddressee, Field: "query.filename", Detail: "the addressee office number must be your facility's"}
	}
	sum := sha256.Sum256(in.RawBody)
	month := name.Month.Format("200601")
	plan := &CareplanPlan{FileName: name.String(), Month: name.Month.Format("2006-01"), FromOffice: name.From, ToOffice: name.To,
		Digest: hex.EncodeToString(sum[:]), Slots: []CareplanSlot{}, Cancels: []CareplanCancel{}, Unmatched: []CareplanUnmatched{}}
	existing, err := tx.CareplanVisits(ctx, fac.ID, month, name.From)
	if err != nil {
		return nil, nil, nil, err
	}
	bySlot := map[string]store.CareplanVisit{}
	for _, c := range existing {
		bySlot[c.SlotKey] = c
	}
	reach := map[string]bool{}        // patient id → the caller reaches them
	keepPatients := map[string]bool{} // patients of an ambiguous row: their imported visits stay
	names := map[string]string{}
	team := map[string][]string{} // patient → the caller's facility's members on the team
	seen := map[string]bool{}
	rowOf := map[int]careplan.Row{}
	for _, r := range rows {
		unmatched := func(reason string) {
			plan.Unmatched = append(plan.Unmatched, CareplanUnmatched{Row: r.Line, InsuredNumber: r.InsuredNumber, Service: careplan.ServiceLabel(r.Code), Reason: reason})
		}
		kind, visit := careplan.VisitKind(r.ServiceType(), fac.Kind)
		switch {
		case r.ProviderOffice != fac.OfficeNumber:
			unmatched(reasonOtherProvider)
			continue
		case !visit || !r.Timed():
			unmatched(reasonNotAVisit)
			continue
		}
		ids, err := tx.PatientsByInsurance(ctx, r.InsurerNumber, r.InsuredNumber)
		if err != nil {
			return nil, nil, nil, err
		}
		var matched []string
		for _, id := range ids {
			ok, known := reach[id]
			if !known {
				_, aerr := s.access(ctx, tx, pr, id, care.Shared, false)
				ok = aerr == nil
				reach[id] = ok
			}
			if ok {
				matched = append(matched, id)
			}
		}
		if len(matched) == 0 {
			unmatched(reasonUnknownPatient)
			continue
		}
		if len(matched) > 1 {
			// Not imported, but not a reason to cancel what earlier
			// imports planned for these patients either.
			for _, id := range matched {
				keepPatients[id] = true
			}
			unmatched(reasonAmbiguous)
			continue
		}
		pid := matched[0]
		if _, ok := names[pid]; !ok {
			p, err := tx.Patient(ctx, pid)
			if err != nil {
				return nil, nil, nil, err
			}
			names[pid] = p.Name
			if team[pid], err = facilityMembers(ctx, tx, pid, fac.ID); err != nil {
				return nil, nil, nil, err
			}
		}
		rowOf[r.Line] = r
		// One row is one service code on one day; the visit is the
		// patient's day and time, whatever codes (a service and its 加算)
		// the file gives it.
		start, end := slotTimes(r.DateMonth(), r.Day(), r.Start, r.End)
		key := slotKey(pid, start, r.End)
		if seen[key] {
			unmatched(reasonDuplicate)
			continue
		}
		seen[key] = true
		sl := CareplanSlot{Row: r.Line, PatientID: pid, PatientName: names[pid], Kind: kind, StartsAt: start, EndsAt: end, Service: careplan.ServiceLabel(r.Code),
			ServiceCode: r.Code, AssigneeIDs: assigneesFor(kind, team[pid], pr.User.ID), Action: "create"}
		if c, ok := bySlot[key]; ok {
			sl.VisitID, sl.Action = c.VisitID, "keep"
			if c.Status == care.VisitCancelled && c.StartsAt.After(s.now()) {
				sl.Action = "replan"
			}
			delete(bySlot, key)
		}
		plan.Slots = append(plan.Slots, sl)
	}
	// What earlier imports made that this file no longer plans: cancelled
	// when it has not happened yet, of a patient the caller reaches.
	var cancel []store.CareplanVisit
	for _, c := range existing {
		if _, gone := bySlot[c.SlotKey]; !gone || keepPatients[c.PatientID] || c.Status != care.VisitPlanned || !c.StartsAt.After(s.now()) {
			continue
		}
		ok, known := reach[c.PatientID]
		if !known {
			_, aerr := s.access(ctx, tx, pr, c.PatientID, care.Shared, false)
			ok = aerr == nil
			reach[c.PatientID] = ok
		}
		if !ok {
			continue
		}
		if _, ok := names[c.PatientID]; !ok {
			p, err := tx.Patient(ctx, c.PatientID)
			if err != nil {
				return nil, nil, nil, err
			}
			names[c.PatientID] = p.Name
		}
		kind, _ := careplan.VisitKind(c.ServiceType, fac.Kind)
		plan.Cancels = append(plan.Cancels, CareplanCancel{VisitID: c.VisitID, PatientID: c.PatientID, PatientName: names[c.PatientID], Kind: kind,
			StartsAt: inTokyo(c.StartsAt), EndsAt: inTokyo(c.EndsAt), Service: c.ServiceName})
		cancel = append(cancel, c)
	}
	for _, sl := range plan.Slots {
		switch sl.Action {
		case "create":
			plan.Created++
		case "keep":
			plan.Kept++
		case "replan":
			plan.Replanned++
		}
	}
	plan.Cancelled = len(plan.Cancels)
	return plan, cancel, rowOf, nil
}

// slotKey names a planned slot: the patient, the start and the end as the
// file gives it. Not the service code: the standard gives a 加算 the time
// of its base service (「基本サービスに紐づく加算には同じ時間を設定する」), and
// both are one visit.
func slotKey(patientID string, start time.Time, end string) string {
	return patientID + "|" + start.Format(time.RFC3339) + "|" + end
}

// slotTimes is day d of month from HHMM to HHMM in Asia/Tokyo (2400 is
// the midnight after).
func slotTimes(month time.Time, d int, from, to string) (time.Time, time.Time) {
	at := func(hhmm string) time.Time {
		n, _ := strconv.Atoi(hhmm)
		return time.Date(month.Year(), month.Month(), d, 0, 0, 0, 0, tokyo).Add(time.Duration(n/100)*time.Hour + time.Duration(n%100)*time.Minute)
	}
	return at(from), at(to)
}

// facilityMembers lists the patient's active team members of facility fid.
func facilityMembers(ctx context.Context, tx *store.Tx, patientID, fid string) ([]string, error) {
	ids, err := tx.TeamUserIDs(ctx, patientID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, id := range ids {
		u, err := tx.User(ctx, id)
		if err != nil {
			return nil, err
		}
		if u.FacilityID.String == fid && u.Status == care.StatusActive {
			out = append(out, u.ID+"|"+u.Profession)
		}
	}
	return out, nil
}

// visitProfessions are the professions a kind of visit goes to first.
var visitProfessions = map[string][]string{
	"nurse_visit":      {care.ProfNurse},
	"doctor_visit":     {care.ProfDoctor},
	"pharmacist_visit": {care.ProfPharmacist},
	"care_service":     {"care_worker", care.ProfTherapist},
}

// assigneesFor picks who a visit of this kind goes to, from the facility's
// members on the team ("id|profession"): the importing user when their
// profession does this kind of visit (a nurse importing her patients'
// plans), else every member whose profession does it, else all of them.
func assigneesFor(kind string, members []string, caller string) []string {
	var fit, all []string
	for _, m := range members {
		id, prof, _ := cut(m)
		all = append(all, id)
		if slices.Contains(visitProfessions[kind], prof) {
			if id == caller {
				return []string{caller}
			}
			fit = append(fit, id)
		}
	}
	out := fit
	if len(out) == 0 {
		out = all
	}
	if out == nil {
		out = []string{}
	}
	sort.Strings(out)
	return out
}

func cut(m string) (string, string, bool) {
	for i := 0; i < len(m); i++ {
		if m[i] == '|' {
			return m[:i], m[i+1:], true
		}
	}
	return m, "", false
}

// ownFacility is the caller's facility, which must have its 介護保険事業所番号.
func (s *Server) ownFacility(ctx context.Context, tx *store.Tx, pr *Principal) (store.Facility, error) {
	if !pr.User.FacilityID.Valid {
		return store.Facility{}, &care.Error{Code: codeNoOfficeNumber}
	}
	f, err := tx.Facility(ctx, pr.User.FacilityID.String)
	if err != nil {
		return f, err
	}
	if f.OfficeNumber == "" {
		return f, &care.Error{Code: codeNoOfficeNumber}
	}
	return f, nil
}

// previewCareplan shows what importing a 予定 file would do, and changes
// nothing. Each matched patient's view is audited.
func (s *Server) previewCareplan(ctx context.Context, in *CareplanFileInput) (*CareplanPlanOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &CareplanPlanOutput{}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		plan, _, _, err := s.careplanPlan(ctx, tx, pr, in)
		if err != nil {
			return err
		}
		out.Body = *plan
		return audit.Append(ctx, tx, s.careplanEvents(ctx, pr, "careplan.preview", plan)...)
	})
	return out, err
}

// careplanEvents is one audit event per patient the plan concerns, and one
// for the file (its digest as the resource).
func (s *Server) careplanEvents(ctx context.Context, pr *Principal, action string, plan *CareplanPlan) []*audit.Event {
	evs := []*audit.Event{s.event(ctx, pr, action, "", "careplan_file", plan.Digest[:32])}
	done := map[string]bool{}
	add := func(pid string) {
		if !done[pid] {
			done[pid] = true
			evs = append(evs, s.event(ctx, pr, action, pid, "careplan_file", plan.Digest[:32]))
		}
	}
	for _, sl := range plan.Slots {
		add(sl.PatientID)
	}
	for _, c := range plan.Cancels {
		add(c.PatientID)
	}
	return evs
}

// importCareplan imports a 予定 file in one transaction: the planned slots
// become visits (created, or those an earlier import made kept as they are,
// or planned again when cancelled), and the visits an earlier import of the
// same month from the same office made that the file no longer plans and
// that have not happened are cancelled. The same file again changes
// nothing. A refusal leaves everything as it was.
func (s *Server) importCareplan(ctx context.Context, in *CareplanFileInput) (*CareplanPlanOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &CareplanPlanOutput{}
	now := s.now()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		fac, err := s.ownFacility(ctx, tx, pr)
		if err != nil {
			return err
		}
		// Before planning: a second import of the same file waits here and
		// then finds the first one's visits (kept, not created twice).
		if err := tx.LockCareplanImports(ctx, fac.ID); err != nil {
			return err
		}
		plan, cancel, rows, err := s.careplanPlan(ctx, tx, pr, in)
		if err != nil {
			return err
		}
		month := plan.Month[:4] + plan.Month[5:]
		for i := range plan.Slots {
			sl := &plan.Slots[i]
			switch sl.Action {
			case "create":
				r := rows[sl.Row]
				v := store.Visit{ID: s.newID(), PatientID: sl.PatientID, Kind: sl.Kind, StartsAt: store.UTC(sl.StartsAt), EndsAt: store.UTC(sl.EndsAt),
					Note: sl.Service, Status: care.VisitPlanned, Version: 1, CreatedAt: now, CreatedBy: pr.User.ID, UpdatedAt: now,
					UpdatedBy: pr.User.ID, AssigneeIDs: sl.AssigneeIDs}
				v.SeriesEnd = v.EndsAt
				if err := tx.CreateVisit(ctx, v); err != nil {
					return err
				}
				if _, err := keepHistory(ctx, tx, v.ID, pr.User.ID, now); err != nil {
					return err
				}
				key := slotKey(sl.PatientID, sl.StartsAt, r.End)
				if err := tx.AddCareplanVisit(ctx, store.CareplanVisit{VisitID: v.ID, FacilityID: fac.ID, Month: month, FromOffice: plan.FromOffice,
					PatientID: sl.PatientID, ServiceType: r.ServiceType(), ServiceItem: r.ServiceItem(), ServiceName: sl.Service, SlotKey: key,
					ImportedAt: now, ImportedBy: pr.User.ID}); err != nil {
					return err
				}
				sl.VisitID = v.ID
				if err := s.changed(ctx, tx, store.Change{PatientID: sl.PatientID, Entity: "visit", EntityID: v.ID}); err != nil {
					return err
				}
			case "replan":
				if err := s.setVisitStatus(ctx, tx, pr, sl.VisitID, care.VisitPlanned, now); err != nil {
					return err
				}
			}
		}
		for _, c := range cancel {
			if err := s.setVisitStatus(ctx, tx, pr, c.VisitID, care.VisitCancelled, now); err != nil {
				return err
			}
		}
		plan.Imported = true
		out.Body = *plan
		return audit.Append(ctx, tx, s.careplanEvents(ctx, pr, "careplan.import", plan)...)
	})
	return out, err
}

// setVisitStatus changes an imported visit's status as a new version, kept
// in its history and sent to the team's devices.
func (s *Server) setVisitStatus(ctx context.Context, tx *store.Tx, pr *Principal, visitID, status string, now time.Time) error {
	v, err := tx.Visit(ctx, visitID)
	if err != nil {
		return err
	}
	base := v.Version
	v.Status, v.UpdatedAt, v.UpdatedBy = status, now, pr.User.ID
	if err := tx.UpdateVisit(ctx, v, base); err != nil {
		return err
	}
	if _, err := keepHistory(ctx, tx, v.ID, pr.User.ID, now); err != nil {
		return err
	}
	return s.changed(ctx, tx, store.Change{PatientID: v.PatientID, Entity: "visit", EntityID: v.ID})
}

// validInsurance checks a patient's 介護保険 numbers (nil: not sent; empty:
// cleared). The problem names the field and the rule (the check digit's for
// the 保険者番号), never the value.
func validInsurance(insurer, insured *string) error {
	if insurer != nil && *insurer != "" && careplan.ValidInsurerNumber(*insurer) != nil {
		return care.Invalid("insurer_number", careplan.RuleInsurerNumber)
	}
	if insured != nil && *insured != "" && careplan.ValidInsuredNumber(*insured) != nil {
		return care.Invalid("insured_number", careplan.RuleInsuredNumber)
	}
	return nil
}

// validOfficeNumber checks a facility's 介護保険事業所番号 (empty: none).
func validOfficeNumber(v string) error {
	if v != "" && careplan.ValidOfficeNumber(v) != nil {
		return care.Invalid("office_number", careplan.RuleOfficeNumber)
	}
	return nil
}
