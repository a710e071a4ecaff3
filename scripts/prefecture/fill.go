package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/audit"
	"tsunagu/internal/blob"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// The prefecture of the brief (あじさいネット): 61,134 patients, 323
// facilities, 1,600 members. Records are ≥ 10 million over five years:
// 170 a patient on average (80 to 260).
const (
	fullPatients   = 61_134
	fullFacilities = 323
	fullStaff      = 1_600
	meanRecords    = 170
)

// Plan is what Fill makes. Staff and facilities scale with the patients,
// so that a member's caseload (teams of 4–8 → about 230 patients each) is
// the full prefecture's at every scale: a fraction shrinks the database,
// not the work one nurse's device does.
type Plan struct {
	Scale    float64
	Years    int
	Now      time.Time
	Seed     uint64
	Password string // every generated member's password (hashed once)
	Hash     string // its argon2id hash (auth.Hasher)
	Workers  int    // concurrent writers (PostgreSQL; SQLite serialises them anyway)
	Batch    int    // patients a transaction
	Progress io.Writer
}

// Sizes are the counts a plan makes.
type Sizes struct{ Patients, Facilities, Staff int }

func (p Plan) Sizes() Sizes {
	s := Sizes{
		Patients:   max(1, int(float64(fullPatients)*p.Scale+0.5)),
		Facilities: max(8, int(float64(fullFacilities)*p.Scale+0.5)),
		Staff:      max(16, int(float64(fullStaff)*p.Scale+0.5)),
	}
	return s
}

// Summary counts what Fill wrote.
type Summary struct {
	Patients, Facilities, Staff, TeamMembers, Records, Versions, Visits, Photos, AuditEvents int
	Elapsed                                                                                  time.Duration
}

// professions of the staff, in proportion (a prefecture's network is
// mostly nurses, doctors and care managers), with the facility kind that
// employs each.
var staffMix = []struct {
	prof, kind string
	share      int
}{
	{care.ProfNurse, care.KindNursingStation, 35},
	{care.ProfDoctor, care.KindClinic, 16},
	{care.ProfCareManager, care.KindCareManagement, 16},
	{care.ProfPharmacist, care.KindPharmacy, 10},
	{care.ProfCareWorker, care.KindCareService, 15},
	{care.ProfTherapist, care.KindHospital, 4},
	{care.ProfMSW, care.KindHospital, 2},
	{care.ProfDentist, care.KindDentalClinic, 2},
}

type member struct {
	id, facility, prof string
}

// world is the generated network before its patients: facilities by kind
// and staff by profession.
type world struct {
	staff  []member
	byProf map[string][]member
}

// phrases are what the generated records say; a record is 8–14 of them
// (~500 bytes, like the anchor's texts). One record in 97 also holds the
// rare phrase, so a search finds a few in each patient.
var phrases = []string{"バイタル安定。", "食事摂取良好。", "ガーゼ交換を実施。", "発熱なし。", "清拭、服薬確認。", "排便あり。",
	"訪問入浴の日程を調整。", "家族より相談あり。", "夜間よく眠れている。", "歩行器で室内移動。", "血圧やや高め、経過観察。",
	"口腔ケア実施、出血なし。", "下肢の浮腫軽度。", "水分摂取を促した。", "睡眠薬の効果を確認。", "痛みの訴えなし。",
	"吸引を二回実施。", "皮膚の乾燥に保湿剤塗布。", "デイサービスの様子を聞き取り。", "主治医へ報告済み。"}

const rarePhrase = "仙骨部に褥瘡、発赤あり。"

// Fill writes the plan's prefecture into db through the store, and its
// photos (small JPEGs) into blobs. One transaction a patient (its team,
// consent, five years of records, versions, visits, photos, change rows
// and audit events), Workers of them at once.
func Fill(ctx context.Context, db *store.DB, blobs blob.Store, p Plan) (Summary, error) {
	start := time.Now()
	if p.Years <= 0 {
		p.Years = 5
	}
	if p.Workers <= 0 {
		p.Workers = 1
	}
	if p.Progress == nil {
		p.Progress = io.Discard
	}
	sz := p.Sizes()
	rng := rand.New(rand.NewPCG(p.Seed, 15))
	sum := Summary{Facilities: sz.Facilities, Staff: sz.Staff, Patients: sz.Patients}
	if db.Engine == store.SQLite {
		// The writer's page cache holds the search index's pages across a
		// patient's transaction (the default 2 MB spills them to the log
		// mid-transaction, one write system call a page).
		if err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `PRAGMA cache_size = -262144`)
			return err
		}); err != nil {
			return sum, err
		}
	}
	w, err := fillNetwork(ctx, db, p, sz, rng, &sum)
	if err != nil {
		return sum, err
	}
	fmt.Fprintf(p.Progress, "network: %d facilities, %d staff (%s)\n", sz.Facilities, sz.Staff, time.Since(start).Round(time.Millisecond))

	type result struct {
		s   Summary
		err error
	}
	// A transaction writes Batch patients: the search index's pages they
	// share are written once a commit.
	batch := max(1, p.Batch)
	jobs := make(chan []int)
	results := make(chan result)
	for k := 0; k < p.Workers; k++ {
		go func() {
			for ids := range jobs {
				var s Summary
				fns := make([]func(*store.Tx) error, 0, len(ids))
				var err error
				for _, i := range ids {
					var fn func(*store.Tx) error
					if fn, err = fillPatient(ctx, blobs, p, w, i, &s); err != nil {
						break
					}
					fns = append(fns, fn)
				}
				if err == nil {
					err = db.Write(ctx, func(tx *store.Tx) error {
						for _, fn := range fns {
							if err := fn(tx); err != nil {
								return err
							}
						}
						return nil
					})
				}
				if err == nil && db.Engine == store.SQLite {
					// The store's checkpointer copies the log PASSIVEly
					// between commits; a writer that never pauses keeps it
					// from ever reaching the log's end, and the log then
					// grows without bound (16 GB beside a 3.7 GB database
					// after 115,000 records). Between two batches nothing
					// writes: copy it all and truncate it.
					_, err = db.SQL().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
				}
				results <- result{s, err}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := 0; i < sz.Patients; i += batch {
			ids := []int{}
			for j := i; j < min(sz.Patients, i+batch); j++ {
				ids = append(ids, j)
			}
			select {
			case jobs <- ids:
			case <-ctx.Done():
				return
			}
		}
	}()
	nb := (sz.Patients + batch - 1) / batch
	var firstErr error
	last := time.Now()
	done := 0
	for i := 0; i < nb; i++ {
		r := <-results
		if r.err != nil && firstErr == nil {
			firstErr = r.err
			// drain: the workers finish the patients already handed out
		}
		sum.TeamMembers += r.s.TeamMembers
		sum.Records += r.s.Records
		sum.Versions += r.s.Versions
		sum.Visits += r.s.Visits
		sum.Photos += r.s.Photos
		sum.AuditEvents += r.s.AuditEvents
		done += batch
		if time.Since(last) > 10*time.Second || i == nb-1 {
			last = time.Now()
			el := time.Since(start)
			fmt.Fprintf(p.Progress, "  %d/%d patients, %d records (%.0f records/s)\n", min(done, sz.Patients), sz.Patients, sum.Records, float64(sum.Records)/el.Seconds())
		}
	}
	sum.Elapsed = time.Since(start)
	return sum, firstErr
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// fillNetwork makes the facilities and staff in one transaction.
func fillNetwork(ctx context.Context, db *store.DB, p Plan, sz Sizes, rng *rand.Rand, sum *Summary) (*world, error) {
	w := &world{byProf: map[string][]member{}}
	now := p.Now
	err := db.Write(ctx, func(tx *store.Tx) error {
		// Facilities: each staff profession's kind gets its share of them.
		facs := map[string][]string{}
		total := 0
		for _, m := range staffMix {
			total += m.share
		}
		made := 0
		for _, m := range staffMix {
			for j := 0; j < max(1, (sz.Facilities*m.share+total/2)/total); j++ {
				id := newID()
				if err := tx.CreateFacility(ctx, store.Facility{ID: id, Name: fmt.Sprintf("架空%s%d（試験）", kindName(m.kind), made+1),
					NameKana: "カクウ", Kind: m.kind, Disclosure: care.DisclosureFull, CreatedAt: now}, ""); err != nil {
					return fmt.Errorf("facility: %w", err)
				}
				facs[m.kind] = append(facs[m.kind], id)
				made++
			}
		}
		sum.Facilities = made
		n := 0
		for k, m := range staffMix {
			cnt := max(2, sz.Staff*m.share/total)
			if k == 0 {
				cnt += sz.Staff - sumShares(sz.Staff, total)
			}
			for j := 0; j < cnt; j++ {
				n++
				fid := facs[m.kind][j%len(facs[m.kind])]
				u := store.User{ID: newID(), FacilityID: sql.NullString{String: fid, Valid: true}, LoginID: fmt.Sprintf("pref.%s.%d", m.prof, j+1),
					Name: fmt.Sprintf("試験 %s%d", m.prof, j+1), NameKana: "シケン", Profession: m.prof, FacilityAdmin: j < len(facs[m.kind]),
					PasswordHash: p.Hash, PasswordChangedAt: now, Status: care.StatusActive, LastActiveAt: now, CreatedAt: now, UpdatedAt: now}
				if err := tx.CreateUser(ctx, u); err != nil {
					return fmt.Errorf("user: %w", err)
				}
				mb := member{id: u.ID, facility: fid, prof: m.prof}
				w.staff = append(w.staff, mb)
				w.byProf[m.prof] = append(w.byProf[m.prof], mb)
			}
		}
		sum.Staff = n
		admin := store.User{ID: newID(), LoginID: "pref.admin", Name: "事務局 試験", NameKana: "ジムキョク シケン", Profession: care.ProfOther,
			NetworkAdmin: true, PasswordHash: p.Hash, PasswordChangedAt: now, Status: care.StatusActive, LastActiveAt: now, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateUser(ctx, admin); err != nil {
			return fmt.Errorf("user: %w", err)
		}
		return audit.Append(ctx, tx, &audit.Event{At: now, ActorID: "system", Action: "prefecture.fill", Result: audit.ResultOK})
	})
	_ = rng
	return w, err
}

func sumShares(staff, total int) int {
	n := 0
	for _, m := range staffMix {
		n += max(2, staff*m.share/total)
	}
	return n
}

func kindName(kind string) string {
	switch kind {
	case care.KindNursingStation:
		return "訪問看護ステーション"
	case care.KindClinic:
		return "クリニック"
	case care.KindCareManagement:
		return "居宅介護支援事業所"
	case care.KindPharmacy:
		return "薬局"
	case care.KindCareService:
		return "ヘルパーステーション"
	case care.KindHospital:
		return "病院"
	case care.KindDentalClinic:
		return "歯科"
	}
	return "事業所"
}

// teamOf picks patient i's team: a doctor, a nurse and a care manager
// always, then up to five more of the other professions (4–8 in all).
func teamOf(w *world, rng *rand.Rand) []member {
	pick := func(prof string) member { l := w.byProf[prof]; return l[rng.IntN(len(l))] }
	team := []member{pick(care.ProfDoctor), pick(care.ProfNurse), pick(care.ProfCareManager)}
	extra := []string{care.ProfPharmacist, care.ProfCareWorker, care.ProfNurse, care.ProfTherapist, care.ProfDoctor, care.ProfMSW, care.ProfDentist}
	size := 4 + rng.IntN(5)
	seen := map[string]bool{}
	for _, m := range team {
		seen[m.id] = true
	}
	for _, prof := range extra {
		if len(team) >= size {
			break
		}
		if m := pick(prof); !seen[m.id] {
			seen[m.id] = true
			team = append(team, m)
		}
	}
	return team
}

func roleOf(prof string, first bool) string {
	switch prof {
	case care.ProfDoctor:
		if first {
			return care.RolePrimaryPhysician
		}
		return care.RoleDeputyPhysician
	case care.ProfNurse:
		return care.RoleVisitingNurse
	case care.ProfCareManager:
		return care.RoleCareManager
	case care.ProfPharmacist:
		return care.RoleVisitingPharmacist
	case care.ProfCareWorker:
		return care.RoleHelper
	}
	return care.RoleOther
}

// recordKindOf is what a member of prof writes.
func recordKindOf(prof string, rng *rand.Rand) string {
	switch prof {
	case care.ProfNurse:
		return care.KindNursingVisit
	case care.ProfDoctor:
		return care.KindDoctorNote
	case care.ProfPharmacist:
		return care.KindMedication
	case care.ProfCareManager:
		return care.KindCareNote
	}
	return care.KindNote
}

func visitKindOf(prof string) string {
	switch prof {
	case care.ProfNurse:
		return care.VisitNurse
	case care.ProfDoctor:
		return care.VisitDoctor
	case care.ProfPharmacist:
		return care.VisitPharmacist
	case care.ProfCareWorker:
		return care.VisitCareService
	}
	return ""
}

func recordText(rng *rand.Rand, n int) string {
	var b strings.Builder
	k := 8 + rng.IntN(7)
	for j := 0; j < k; j++ {
		b.WriteString(phrases[rng.IntN(len(phrases))])
	}
	if n%97 == 7 {
		b.WriteString(rarePhrase)
	}
	return b.String()
}

// fillPatient writes patient i with everything of its five years in one
// transaction, the way the API would have over time: the same rows, change
// rows and audit events (the audit's times are the records' own).
//
// It stores the patient's photos and returns the function that writes the
// rest in a transaction, so that several patients can share one.
func fillPatient(ctx context.Context, blobs blob.Store, p Plan, w *world, i int, sum *Summary) (func(*store.Tx) error, error) {
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

	// Photos: blobs first, rows in the transaction (as the API does).
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

	return func(tx *store.Tx) error {
		var events []*audit.Event
		ev := func(at time.Time, actor member, action, rtype, rid string) {
			events = append(events, &audit.Event{At: at, ActorID: actor.id, ActorFacility: actor.facility, Action: action, PatientID: "", ResourceType: rtype,
				ResourceID: rid, Result: audit.ResultOK, Address: "127.0.0.1", RequestID: ""})
		}
		pid := newID()
		evp := func(at time.Time, actor member, action, rtype, rid string) {
			ev(at, actor, action, rtype, rid)
			events[len(events)-1].PatientID = pid
		}
		change := func(at time.Time, entity, id string, chart bool) {
			tx.AppendChange(ctx, store.Change{PatientID: pid, Entity: entity, EntityID: id, Op: "upsert", Chart: chart, At: at})
		}
		sex := []string{"female", "male"}[rng.IntN(2)]
		pat := store.Patient{ID: pid, FacilityID: doctor.facility, Name: fmt.Sprintf("試験 患者%d", i+1), NameKana: "シケン カンジャ",
			BirthDate: fmt.Sprintf("%d-%02d-%02d", 1920+rng.IntN(40), 1+rng.IntN(12), 1+rng.IntN(28)), Sex: sex,
			Address: fmt.Sprintf("架空県つなぐ市%d-%d（試験）", 1+i%50, 1+i%97), Phone: fmt.Sprintf("000-0000-%04d", i%10000),
			CreatedAt: joined, CreatedBy: doctor.id, UpdatedAt: joined, Version: 1}
		if err := tx.CreatePatient(ctx, pat); err != nil {
			return fmt.Errorf("patient: %w", err)
		}
		change(joined, "patient", pid, false)
		evp(joined, doctor, "patient.create", "patient", pid)
		for k, m := range team {
			if err := tx.AddTeamMember(ctx, newID(), pid, m.id, roleOf(m.prof, k == 0), doctor.id, joined); err != nil {
				return fmt.Errorf("team: %w", err)
			}
			change(joined, "team", pid, false)
			evp(joined, doctor, "team.add", "user", m.id)
			sum.TeamMembers++
		}
		if err := tx.CreateConsent(ctx, store.Consent{ID: newID(), PatientID: pid, ObtainedOn: joined.Format("2006-01-02"), Scope: care.ConsentFull,
			ObtainedBy: doctor.id, RecordedBy: doctor.id, RecordedAt: joined}); err != nil {
			return fmt.Errorf("consent: %w", err)
		}
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
				a := store.Attachment{ID: aid, PatientID: pid, SHA256: ph.sum, Size: int64(ph.size), ContentType: "image/jpeg", Width: 16, Height: 16,
					UploadedBy: author.id, UploadedAt: at}
				if _, _, err := tx.CreateAttachment(ctx, a); err != nil {
					return fmt.Errorf("attachment: %w", err)
				}
				evp(at, author, "attachment.create", "attachment", aid)
				c.AttachmentIDs = []string{aid}
				sum.Photos++
			}
			c.Normalize(kind)
			if err := care.ValidateRecord(kind, c); err != nil {
				return err
			}
			rid := newID()
			var visitID sql.NullString
			if vk := visitKindOf(author.prof); vk != "" {
				vid := newID()
				if err := tx.CreateVisit(ctx, store.Visit{ID: vid, PatientID: pid, Kind: vk, StartsAt: at.Add(-time.Hour), EndsAt: at, SeriesEnd: at, Status: care.VisitDone,
					Version: 1, CreatedAt: at.AddDate(0, 0, -7), CreatedBy: author.id, UpdatedAt: at, UpdatedBy: author.id, AssigneeIDs: []string{author.id}}); err != nil {
					return fmt.Errorf("visit: %w", err)
				}
				change(at, "visit", vid, false)
				evp(at, author, "visit.create", "visit", vid)
				visitID = sql.NullString{String: vid, Valid: true}
				sum.Visits++
			}
			r := store.Record{ID: rid, PatientID: pid, Kind: kind, Chart: chart, AuthorID: author.id, AuthorFacilityID: author.facility,
				AuthorProfession: author.prof, VisitID: visitID, OccurredAt: at, CreatedAt: at.Add(30 * time.Minute), RequestHash: rid}
			v := store.RecordVersion{RecordID: rid, Version: 1, Status: care.RecordFinal, Content: c, EnteredBy: author.id, CreatedAt: r.CreatedAt}
			if err := tx.CreateRecord(ctx, r, v); err != nil {
				return fmt.Errorf("record: %w", err)
			}
			change(r.CreatedAt, "record", rid, chart)
			evp(r.CreatedAt, author, "record.create", "record", rid)
			sum.Records++
			sum.Versions++
			if rng.IntN(30) == 0 { // one in 30 is amended a day later
				c2 := c
				c2.Text += "（追記）家族へ説明済み。"
				amended := r.CreatedAt.Add(24 * time.Hour)
				if amended.After(now) {
					amended = now
				}
				if err := tx.AddRecordVersion(ctx, store.RecordVersion{RecordID: rid, Version: 2, ParentVersion: 1, Status: care.RecordFinal, Reason: "追記",
					Content: c2, EnteredBy: author.id, CreatedAt: amended}); err != nil {
					return fmt.Errorf("amend: %w", err)
				}
				change(amended, "record", rid, chart)
				evp(amended, author, "record.amend", "record", rid)
				sum.Versions++
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
				if err := tx.CreateVisit(ctx, store.Visit{ID: vid, PatientID: pid, Kind: visitKindOf(m.prof), StartsAt: st, EndsAt: st.Add(time.Hour), SeriesEnd: st.Add(time.Hour), Status: care.VisitPlanned,
					Version: 1, CreatedAt: now, CreatedBy: m.id, UpdatedAt: now, UpdatedBy: m.id, AssigneeIDs: []string{m.id}}); err != nil {
					return fmt.Errorf("visit: %w", err)
				}
				change(now, "visit", vid, false)
				evp(now, m, "visit.create", "visit", vid)
				sum.Visits++
			}
		}
		sum.AuditEvents += len(events)
		return audit.Append(ctx, tx, events...)
	}, nil
}

// tinyJPEG is a 16×16 photo of a few hundred bytes, each different, for the
// blob store's share of a prefecture (the size of a real photo is the
// blob store's business, not the database's).
func tinyJPEG(rng *rand.Rand) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			img.Set(x, y, color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255})
		}
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 60})
	return b.Bytes()
}
