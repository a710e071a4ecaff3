// Package demo fills an empty database with a fictional region, so that a
// new installation can be tried at once. Every name, address and phone
// number here is invented (見本/試験 surnames, 架空県つなぐ市, 000- phone
// numbers); none belongs to a real person.
package demo

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/audit"
	"tsunagu/internal/auth"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// Password is the password of every demo account.
const Password = "tsunagu-demo-2026"

// Welcome says what was created and how to sign in.
type Welcome struct {
	Facilities, Users, Patients int
	Logins                      [][2]string // login id, what the account is
}

type facility struct{ key, name, kana, kind string }

var facilities = []facility{
	{"clinic", "つなぐ在宅クリニック（デモ）", "ツナグザイタククリニック", "clinic"},
	{"hospital", "みなと総合病院（デモ）", "ミナトソウゴウビョウイン", "hospital"},
	{"station", "ひまわり訪問看護ステーション（デモ）", "ヒマワリホウモンカンゴステーション", "nursing_station"},
	{"pharmacy", "さくら薬局（デモ）", "サクラヤッキョク", "pharmacy"},
	{"cm", "あおば居宅介護支援事業所（デモ）", "アオバキョタクカイゴシエンジギョウショ", "care_management"},
	{"helper", "やまびこヘルパーステーション（デモ）", "ヤマビコヘルパーステーション", "care_service"},
	{"dental", "かもめ歯科（デモ）", "カモメシカ", "dental_clinic"},
}

type staff struct {
	login, name, kana, profession, facility, about string
	facilityAdmin                                  bool
}

var people = []staff{
	{"demo.doctor", "見本 一郎", "ミホン イチロウ", care.ProfDoctor, "clinic", "主治医 (doctor, facility admin)", true},
	{"demo.doctor2", "試験 二葉", "シケン フタバ", care.ProfDoctor, "hospital", "副主治医 (doctor)", false},
	{"demo.nurse", "見本 看子", "ミホン カンコ", care.ProfNurse, "station", "訪問看護師 (nurse, facility admin)", true},
	{"demo.nurse2", "仮野 さくら", "カリノ サクラ", care.ProfNurse, "station", "訪問看護師 (nurse)", false},
	{"demo.pharmacist", "例田 薬子", "レイダ ヤクコ", care.ProfPharmacist, "pharmacy", "訪問薬剤師 (pharmacist)", true},
	{"demo.caremanager", "試験 ケア", "シケン ケア", care.ProfCareManager, "cm", "ケアマネジャー (care manager)", true},
	{"demo.helper", "見本 助", "ミホン タスク", care.ProfCareWorker, "helper", "ヘルパー (care worker; no chart access)", true},
	{"demo.dentist", "仮野 歯子", "カリノ ハコ", care.ProfDentist, "dental", "歯科医師 (dentist)", true},
	{"demo.msw", "例田 相談", "レイダ ソウダン", care.ProfMSW, "hospital", "MSW", true},
	{"demo.therapist", "試験 理学", "シケン リガク", care.ProfTherapist, "hospital", "理学療法士 (therapist; no chart access)", false},
}

var surnames = [][2]string{{"見本", "ミホン"}, {"試験", "シケン"}, {"仮野", "カリノ"}, {"例田", "レイダ"}, {"架空", "カクウ"}}
var given = [][3]string{{"花子", "ハナコ", "female"}, {"太郎", "タロウ", "male"}, {"梅", "ウメ", "female"}, {"松吉", "マツキチ", "male"}}

// Fill creates the demo region when the database has no accounts, and
// returns what it made; it returns nil, nil when there was data already.
func Fill(ctx context.Context, db *store.DB, hasher *auth.Hasher, now time.Time) (*Welcome, error) {
	hash, err := hasher.Hash(ctx, Password)
	if err != nil {
		return nil, err
	}
	id := func() string { return uuid.Must(uuid.NewV7()).String() }
	var w *Welcome
	err = db.Write(ctx, func(tx *store.Tx) error {
		n, err := tx.CountUsers(ctx)
		if err != nil || n > 0 {
			return err
		}
		w = &Welcome{}
		facilityIDs := map[string]string{}
		for _, f := range facilities {
			fid := id()
			facilityIDs[f.key] = fid
			if err := tx.CreateFacility(ctx, store.Facility{ID: fid, Name: f.name, NameKana: f.kana, Kind: f.kind, Disclosure: care.DisclosureFull, CreatedAt: now}, ""); err != nil {
				return err
			}
		}
		mkUser := func(u store.User) error {
			u.PasswordHash, u.PasswordChangedAt, u.Status, u.LastActiveAt, u.CreatedAt, u.UpdatedAt = hash, now, care.StatusActive, now, now, now
			return tx.CreateUser(ctx, u)
		}
		if err := mkUser(store.User{ID: id(), LoginID: "demo.admin", Name: "事務局 見本", NameKana: "ジムキョク ミホン", Profession: care.ProfOther, NetworkAdmin: true}); err != nil {
			return err
		}
		w.Logins = append(w.Logins, [2]string{"demo.admin", "network administrator (事務局)"})
		userIDs := map[string]string{}
		for _, p := range people {
			uid := id()
			userIDs[p.login] = uid
			if err := mkUser(store.User{ID: uid, FacilityID: nullString(facilityIDs[p.facility]), LoginID: p.login, Name: p.name, NameKana: p.kana,
				Profession: p.profession, FacilityAdmin: p.facilityAdmin}); err != nil {
				return err
			}
			w.Logins = append(w.Logins, [2]string{p.login, p.about})
		}
		for i := 0; i < 20; i++ {
			sn, gn := surnames[i%len(surnames)], given[(i/len(surnames)+i)%len(given)]
			pid := id()
			birth := time.Date(1930+i%25, time.Month(1+i%12), 1+i%27, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
			p := store.Patient{ID: pid, FacilityID: facilityIDs["clinic"], Name: sn[0] + " " + gn[0], NameKana: sn[1] + " " + gn[1],
				BirthDate: birth, Sex: gn[2], Address: fmt.Sprintf("架空県つなぐ市みなと町%d-%d（デモ）", 1+i%9, 1+i), Phone: fmt.Sprintf("000-0000-%04d", i),
				CreatedAt: now, CreatedBy: userIDs["demo.doctor"], UpdatedAt: now, Version: 1}
			if err := tx.CreatePatient(ctx, p); err != nil {
				return err
			}
			team := [][2]string{{"demo.doctor", care.RolePrimaryPhysician}, {"demo.nurse", care.RoleVisitingNurse}, {"demo.caremanager", care.RoleCareManager}}
			if i%2 == 0 {
				team = append(team, [2]string{"demo.pharmacist", care.RoleVisitingPharmacist}, [2]string{"demo.helper", care.RoleHelper})
			}
			if i%3 == 0 {
				team = append(team, [2]string{"demo.doctor2", care.RoleDeputyPhysician}, [2]string{"demo.nurse2", care.RoleVisitingNurse})
			}
			if i%5 == 0 {
				team = append(team, [2]string{"demo.dentist", care.RoleOther}, [2]string{"demo.msw", care.RoleOther}, [2]string{"demo.therapist", care.RoleOther})
			}
			for _, m := range team {
				if err := tx.AddTeamMember(ctx, id(), pid, userIDs[m[0]], m[1], userIDs["demo.doctor"], now); err != nil {
					return err
				}
			}
			if i == 19 {
				continue // one patient still waits for consent
			}
			scope := care.ConsentFull
			if i == 18 {
				scope = care.ConsentCalendarShared
			}
			if err := tx.CreateConsent(ctx, store.Consent{ID: id(), PatientID: pid, ObtainedOn: now.AddDate(0, 0, -30-i).Format("2006-01-02"), Scope: scope,
				ObtainedBy: userIDs["demo.doctor"], RecordedBy: userIDs["demo.doctor"], RecordedAt: now}); err != nil {
				return err
			}
		}
		if err := fillChannel(ctx, tx, userIDs, now); err != nil { // the team channel (channel.go)
			return err
		}
		if err := fillStaffMessages(ctx, tx, userIDs, facilityIDs, now, id); err != nil { // staffmsg.go
			return err
		}
		if err := fillCareplan(ctx, tx, facilityIDs); err != nil { // 介護保険 numbers (careplan.go)
			return err
		}
		w.Facilities, w.Users, w.Patients = len(facilities), len(people)+1, 20
		return audit.Append(ctx, tx, &audit.Event{At: now, ActorID: "system", Action: "demo.fill", Result: audit.ResultOK})
	})
	return w, err
}

// PrintWelcome tells the person who started the server how to sign in.
func PrintWelcome(out io.Writer, w *Welcome, totp bool) {
	fmt.Fprintf(out, "\nTsunagu demo region created: %d facilities, %d accounts, %d fictional patients.\n", w.Facilities, w.Users, w.Patients)
	fmt.Fprintf(out, "Every demo account's password is %q. Accounts:\n", Password)
	for _, l := range w.Logins {
		fmt.Fprintf(out, "  %-18s %s\n", l[0], l[1])
	}
	if totp {
		fmt.Fprintln(out, "Two-factor sign-in is required (TSUNAGU_REQUIRE_TOTP=1): at first sign-in, add the shown key to an authenticator app.")
	}
	fmt.Fprintln(out)
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
