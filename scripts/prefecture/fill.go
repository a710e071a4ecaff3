package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/audit"
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
				// The nurses take what rounding left, never give up their
				// share to the other professions' floor of two: at a scale of
				// a few dozen staff that left two nurses, each on the team of
				// most patients, and a caseload of another shape.
				cnt += max(0, sz.Staff-sumShares(sz.Staff, total))
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
