package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/blob"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// patientRows is everything of one patient's five years, made before any
// transaction (the generators work while the writer writes): the rows the
// API would have written over time, the change rows and the audit events
// (whose times are the records' own).
type patientRows struct {
	patient  store.Patient
	team     []teamRow
	consent  store.Consent
	photos   []store.Attachment
	visits   []store.Visit
	records  []store.Record
	versions []store.RecordVersion // the records' first versions, in order
	amends   []store.RecordVersion // second versions, after all records
	changes  []store.Change
	events   []*audit.Event
	sum      Summary
}

type teamRow struct {
	id, user, role, by string
	at                 time.Time
}

// write writes patients in tx through the store: patients, teams and
// consents one by one (a few rows each), then their visits, records and
// versions in bulk, then the amendments, the change rows and the audit
// events in the order the patients made them.
func writePatients(ctx context.Context, tx *store.Tx, ps []*patientRows) error {
	var visits []store.Visit
	var records []store.Record
	var versions []store.RecordVersion
	for _, pr := range ps {
		if err := tx.CreatePatient(ctx, pr.patient); err != nil {
			return fmt.Errorf("patient: %w", err)
		}
		for _, m := range pr.team {
			if err := tx.AddTeamMember(ctx, m.id, pr.patient.ID, m.user, m.role, m.by, m.at); err != nil {
				return fmt.Errorf("team: %w", err)
			}
		}
		if err := tx.CreateConsent(ctx, pr.consent); err != nil {
			return fmt.Errorf("consent: %w", err)
		}
		for _, a := range pr.photos {
			if _, _, err := tx.CreateAttachment(ctx, a); err != nil {
				return fmt.Errorf("attachment: %w", err)
			}
		}
		visits = append(visits, pr.visits...)
		records = append(records, pr.records...)
		versions = append(versions, pr.versions...)
	}
	if err := tx.CreateVisits(ctx, visits); err != nil {
		return fmt.Errorf("visits: %w", err)
	}
	if err := tx.CreateRecords(ctx, records, versions); err != nil {
		return fmt.Errorf("records: %w", err)
	}
	for _, pr := range ps {
		for _, v := range pr.amends {
			if err := tx.AddRecordVersion(ctx, v); err != nil {
				return fmt.Errorf("amend: %w", err)
			}
		}
		for _, c := range pr.changes {
			tx.AppendChange(ctx, c)
		}
		if err := audit.Append(ctx, tx, pr.events...); err != nil {
			return err
		}
	}
	return nil
}

// planPatient makes patient i with everything of its five years, and
// stores its photos' blobs (as the API does: blobs first, rows in the
// transaction).
func planPatient(ctx context.Context, blobs blob.Store, p Plan, w *world, i int) (*patientRows, error) {
	rng := rand.New(rand.NewPCG(p.Seed, uint64(i)+1000))
	team := teamOf(w, rng)
	doctor := team[0]
	now := p.Now
	since := now.AddDate(-p.Years, 0, 0)
	joined := since.Add(time.Duration(rng.Int64N(int64(now.Sub(since) / 4))))
	nrec := meanRecords/2 + rng.IntN(meanRecords) // 85–254, mean 170
	if p.Scale < 0.001 {
		nrec = 10 + rng.IntN(20) // unit tests: a tiny set
	}
	// Times of the records, oldest first, between joining and now.
	times := make([]time.Time, nrec)
	for k := range times {
		times[k] = joined.Add(time.Duration(rng.Int64N(int64(now.Add(-time.Hour).Sub(joined))))).Truncate(time.Second)
	}
	sort.Slice(times, func(a, b int) bool { return times[a].Before(times[b]) })

	type photoBlob struct {
		sum  string
		size int
	}
	var photos []photoBlob
	for k := 0; k < (nrec+44)/50; k++ { // one from the 5th record on, then every 50
		data := tinyJPEG(rng)
		s := sha256.Sum256(data)
		sh := hex.EncodeToString(s[:])
		if err := blobs.Put(ctx, blob.ContentKey(blob.KindImage, sh), bytes.NewReader(data), int64(len(data)), "image/jpeg"); err != nil {
			return nil, fmt.Errorf("photo blob: %w", err)
		}
		photos = append(photos, photoBlob{sh, len(data)})
	}

	pr := &patientRows{}
	pid := newID()
	evp := func(at time.Time, actor member, action, rtype, rid string) {
		pr.events = append(pr.events, &audit.Event{At: at, ActorID: actor.id, ActorFacility: actor.facility, Action: action, PatientID: pid, ResourceType: rtype,
			ResourceID: rid, Result: audit.ResultOK, Address: "127.0.0.1"})
	}
	change := func(at time.Time, entity, id string, chart bool) {
		pr.changes = append(pr.changes, store.Change{PatientID: pid, Entity: entity, EntityID: id, Op: "upsert", Chart: chart, At: at})
	}
	sex := []string{"female", "male"}[rng.IntN(2)]
	pr.patient = store.Patient{ID: pid, FacilityID: doctor.facility, Name: patientName(i), NameKana: "シケン カンジャ",
		BirthDate: fmt.Sprintf("%d-%02d-%02d", 1920+rng.IntN(40), 1+rng.IntN(12), 1+rng.IntN(28)), Sex: sex,
		Address: fmt.Sprintf("架空県つなぐ市%d-%d（試験）", 1+i%50, 1+i%97), Phone: fmt.Sprintf("000-0000-%04d", i%10000),
		CreatedAt: joined, CreatedBy: doctor.id, UpdatedAt: joined, Version: 1}
	change(joined, "patient", pid, false)
	evp(joined, doctor, "patient.create", "patient", pid)
	for k, m := range team {
		pr.team = append(pr.team, teamRow{id: newID(), user: m.id, role: roleOf(m.prof, k == 0), by: doctor.id, at: joined})
		change(joined, "team", pid, false)
		evp(joined, doctor, "team.add", "user", m.id)
		pr.sum.TeamMembers++
	}
	pr.consent = store.Consent{ID: newID(), PatientID: pid, ObtainedOn: joined.Format("2006-01-02"), Scope: care.ConsentFull,
		ObtainedBy: doctor.id, RecordedBy: doctor.id, RecordedAt: joined}
	change(joined, "patient", pid, false)
	evp(joined, doctor, "consent.create", "patient", pid)

	wantPhoto := false
	for k, at := range times {
		author := team[rng.IntN(len(team))]
		kind := recordKindOf(author.prof, rng)
		chart := care.RecordLevel(kind) == care.Chart
		c := care.RecordContent{Text: recordText(rng, i*1000+k)}
		if kind == care.KindNursingVisit {
			t, sys, dia, pulse, spo2 := 36.0+float64(rng.IntN(15))/10, 110+rng.IntN(40), 60+rng.IntN(25), 60+rng.IntN(30), 93+rng.IntN(6)
			c.Vitals = &care.Vitals{TemperatureC: &t, BPSystolic: &sys, BPDiastolic: &dia, Pulse: &pulse, SpO2: &spo2}
		}
		if k%50 == 5 {
			wantPhoto = true
		}
		if wantPhoto && k/50 < len(photos) && chart { // on a chart record (a wound photo)
			wantPhoto = false
			ph := photos[k/50%len(photos)]
			aid := newID()
			pr.photos = append(pr.photos, store.Attachment{ID: aid, PatientID: pid, SHA256: ph.sum, Size: int64(ph.size), ContentType: "image/jpeg", Width: 16, Height: 16,
				UploadedBy: author.id, UploadedAt: at})
			evp(at, author, "attachment.create", "attachment", aid)
			c.AttachmentIDs = []string{aid}
			pr.sum.Photos++
		}
		c.Normalize(kind)
		if err := care.ValidateRecord(kind, c); err != nil {
			return nil, err
		}
		rid := newID()
		var visitID sql.NullString
		if vk := visitKindOf(author.prof); vk != "" {
			vid := newID()
			pr.visits = append(pr.visits, store.Visit{ID: vid, PatientID: pid, Kind: vk, StartsAt: at.Add(-time.Hour), EndsAt: at, SeriesEnd: at, Status: care.VisitDone,
				Version: 1, CreatedAt: at.AddDate(0, 0, -7), CreatedBy: author.id, UpdatedAt: at, UpdatedBy: author.id, AssigneeIDs: []string{author.id}})
			change(at, "visit", vid, false)
			evp(at, author, "visit.create", "visit", vid)
			visitID = sql.NullString{String: vid, Valid: true}
			pr.sum.Visits++
		}
		r := store.Record{ID: rid, PatientID: pid, Kind: kind, Chart: chart, AuthorID: author.id, AuthorFacilityID: author.facility,
			AuthorProfession: author.prof, VisitID: visitID, OccurredAt: at, CreatedAt: at.Add(30 * time.Minute), RequestHash: rid}
		pr.records = append(pr.records, r)
		pr.versions = append(pr.versions, store.RecordVersion{RecordID: rid, Version: 1, Status: care.RecordFinal, Content: c, EnteredBy: author.id, CreatedAt: r.CreatedAt})
		change(r.CreatedAt, "record", rid, chart)
		evp(r.CreatedAt, author, "record.create", "record", rid)
		pr.sum.Records++
		pr.sum.Versions++
		if rng.IntN(30) == 0 { // one in 30 is amended a day later
			c2 := c
			c2.Text += "（追記）家族へ説明済み。"
			amended := r.CreatedAt.Add(24 * time.Hour)
			if amended.After(now) {
				amended = now
			}
			pr.amends = append(pr.amends, store.RecordVersion{RecordID: rid, Version: 2, ParentVersion: 1, Status: care.RecordFinal, Reason: "追記",
				Content: c2, EnteredBy: author.id, CreatedAt: amended})
			change(amended, "record", rid, chart)
			evp(amended, author, "record.amend", "record", rid)
			pr.sum.Versions++
		}
		// The team reads it: one read event for every few records.
		if k%4 == 0 {
			reader := team[rng.IntN(len(team))]
			evp(r.CreatedAt.Add(2*time.Hour), reader, "record.read", "record", rid)
		}
	}
	// The coming five weeks: a weekly visit of the nurse, a fortnightly
	// one of the doctor.
	nurse := team[1]
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1+rng.IntN(7))
	for wk := 0; wk < 5; wk++ {
		for _, m := range []member{nurse, doctor} {
			if m.prof == care.ProfDoctor && wk%2 == 1 {
				continue
			}
			st := day.AddDate(0, 0, 7*wk).Add(time.Duration(9+rng.IntN(8)) * time.Hour)
			vid := newID()
			pr.visits = append(pr.visits, store.Visit{ID: vid, PatientID: pid, Kind: visitKindOf(m.prof), StartsAt: st, EndsAt: st.Add(time.Hour), SeriesEnd: st.Add(time.Hour), Status: care.VisitPlanned,
				Version: 1, CreatedAt: now, CreatedBy: m.id, UpdatedAt: now, UpdatedBy: m.id, AssigneeIDs: []string{m.id}})
			change(now, "visit", vid, false)
			evp(now, m, "visit.create", "visit", vid)
			pr.sum.Visits++
		}
	}
	pr.sum.AuditEvents = len(pr.events)
	return pr, nil
}

// patientName is patient i's name; a resumed fill reads which patients
// are written from it.
func patientName(i int) string { return fmt.Sprintf("試験 患者%d", i+1) }
