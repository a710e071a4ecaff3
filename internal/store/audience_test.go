package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestRecordAudienceIsTheReadRule holds the three forms of "who reads a
// record" together. For every record of a small region and every user, a
// user is in store.RecordAudience exactly when the rule in Go says they
// read it (an active account, care.PatientAccess on the facts the API
// reads, then care.RecordScope.Reads), and exactly when readsSQL, through
// RecordsByIDs at that user's level, returns the record. The region has
// the cases that decide: chart and shared kinds, a facility disclosing
// shared_only and its own staff, non-clinical members, a suspended member,
// one who left the team, one never on it, a network administrator without
// a facility on a team, and patients under a full consent, a
// calendar_shared one (also as the later of two) and a withdrawn one; each
// under the default clinical professions, a narrower set and none.
func TestRecordAudienceIsTheReadRule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
		id := func() string { return uuid.Must(uuid.NewV7()).String() }
		fx := regionFixture{subs: map[string]int{}}
		err := db.Write(ctx, func(tx *store.Tx) error {
			facility := func(disclosure string) string {
				fid := id()
				fx.must(tx.CreateFacility(ctx, store.Facility{ID: fid, Name: "施設", NameKana: "シセツ", Kind: "clinic", Disclosure: disclosure, CreatedAt: now}, ""))
				return fid
			}
			a, b, c := facility(care.DisclosureFull), facility(care.DisclosureSharedOnly), facility(care.DisclosureFull)
			user := func(name, facilityID, profession, status string) store.User {
				u := store.User{ID: id(), LoginID: name, Name: "試験", NameKana: "シケン", Profession: profession, PasswordHash: "x",
					PasswordChangedAt: now, Status: status, LastActiveAt: now, CreatedAt: now, UpdatedAt: now}
				if facilityID != "" {
					u.FacilityID = sql.NullString{String: facilityID, Valid: true}
				}
				fx.must(tx.CreateUser(ctx, u))
				fx.users = append(fx.users, u)
				fx.names = append(fx.names, name)
				return u
			}
			docA := user("docA", a, care.ProfDoctor, care.StatusActive)
			user("nurseA", a, care.ProfNurse, care.StatusActive)
			user("clerkA", a, care.ProfOther, care.StatusActive)
			nurseB := user("nurseB", b, care.ProfNurse, care.StatusActive)
			user("nurseB2", b, care.ProfNurse, care.StatusActive)
			workerB := user("workerB", b, care.ProfCareWorker, care.StatusActive)
			user("pharmC", c, care.ProfPharmacist, care.StatusActive)
			user("managerC", c, care.ProfCareManager, care.StatusActive)
			user("suspendedC", c, care.ProfNurse, care.StatusSuspended)
			leaver := user("leaverC", c, care.ProfNurse, care.StatusActive)
			outsider := user("outsiderC", c, care.ProfDoctor, care.StatusActive)
			user("admin", "", care.ProfDoctor, care.StatusActive)

			for i, consents := range [][]string{{care.ConsentFull}, {care.ConsentCalendarShared}, {care.ConsentFull, "withdraw"},
				{care.ConsentFull, care.ConsentCalendarShared}} {
				pid := id()
				fx.must(tx.CreatePatient(ctx, store.Patient{ID: pid, FacilityID: a, Name: "見本", NameKana: "ミホン", BirthDate: "1940-01-01", Sex: "female",
					CreatedAt: now, CreatedBy: docA.ID, UpdatedAt: now, Version: 1}))
				fx.patients = append(fx.patients, pid)
				for j, scope := range consents {
					if scope == "withdraw" {
						fx.must(tx.WithdrawConsent(ctx, fx.lastConsent, docA.ID, "撤回", now))
						continue
					}
					fx.lastConsent = id()
					fx.must(tx.CreateConsent(ctx, store.Consent{ID: fx.lastConsent, PatientID: pid, ObtainedOn: "2026-11-01", Scope: scope, ObtainedBy: docA.ID,
						RecordedBy: docA.ID, RecordedAt: now.Add(time.Duration(j) * time.Minute)}))
				}
				for _, u := range fx.users {
					if u.ID != outsider.ID {
						fx.must(tx.AddTeamMember(ctx, id(), pid, u.ID, care.RoleOther, docA.ID, now))
					}
				}
				fx.must(tx.RemoveTeamMember(ctx, pid, leaver.ID, docA.ID, now))
				for _, w := range []struct {
					author store.User
					kind   string
				}{{docA, "doctor_note"}, {docA, "note"}, {nurseB, "nursing_visit"}, {nurseB, "care_note"}, {workerB, "note"}} {
					r := store.Record{ID: id(), PatientID: pid, Kind: w.kind, Chart: care.RecordLevel(w.kind) == care.Chart, AuthorID: w.author.ID,
						AuthorFacilityID: w.author.FacilityID.String, AuthorProfession: w.author.Profession, OccurredAt: now, CreatedAt: now,
						RequestHash: fmt.Sprint(i)}
					fx.must(tx.CreateRecord(ctx, r, store.RecordVersion{RecordID: r.ID, Version: 1, Status: care.RecordFinal, EnteredBy: w.author.ID, CreatedAt: now}))
					tx.AppendChange(ctx, store.Change{PatientID: pid, Entity: "record", EntityID: r.ID, Op: "upsert", Chart: r.Chart, At: now})
					fx.records = append(fx.records, r)
				}
			}
			// Devices: none for the clerk, two for the doctor.
			for i, u := range fx.users {
				n := 1
				switch fx.names[i] {
				case "clerkA":
					n = 0
				case "docA":
					n = 2
				}
				for k := 0; k < n; k++ {
					fx.must(tx.SavePushSubscription(ctx, store.PushSubscription{ID: id(), UserID: u.ID, Endpoint: fmt.Sprintf("https://push.example/%s/%d", u.ID, k),
						P256dh: "p", Auth: "a", CreatedAt: now, UpdatedAt: now}))
					fx.subs[u.ID]++
				}
			}
			return fx.err
		})
		if err != nil {
			t.Fatal(err)
		}

		for _, clinical := range [][]string{care.DefaultClinicalProfessions, {care.ProfDoctor}, {}} {
			policy := care.Policy{ClinicalProfessions: clinical}
			t.Run(fmt.Sprint(clinical), func(t *testing.T) {
				readers := 0
				err := db.Read(ctx, func(tx *store.Tx) error {
					// Per user, what readsSQL returns of each patient.
					viaReads := map[string]bool{} // user + record
					rule := map[string]bool{}
					for _, u := range fx.users {
						v := care.Viewer{UserID: u.ID, FacilityID: u.FacilityID.String, Profession: u.Profession}
						for _, pid := range fx.patients {
							f, err := tx.PatientFacts(ctx, pid, u.ID)
							if err != nil {
								return err
							}
							lvl := care.PatientAccess(policy, v, f)
							scope := care.RecordScopeFor(v, lvl)
							var ids []string
							for _, r := range fx.records {
								if r.PatientID != pid {
									continue
								}
								ids = append(ids, r.ID)
								fac, err := tx.Facility(ctx, r.AuthorFacilityID)
								if err != nil {
									return err
								}
								rf := care.RecordFacts{Chart: r.Chart, AuthorID: r.AuthorID, AuthorFacilityID: r.AuthorFacilityID, AuthorDisclosure: fac.Disclosure}
								rule[u.ID+r.ID] = u.Status == care.StatusActive && scope.Reads(rf)
							}
							if u.Status != care.StatusActive {
								continue // signed out by authenticate: reads nothing
							}
							items, err := tx.RecordsByIDs(ctx, scope, ids)
							if err != nil {
								return err
							}
							for _, it := range items {
								viaReads[u.ID+it.ID] = true
							}
							// A pull reads the records with their changes
							// (every patient as a chart patient here, so
							// that chart records reach the shared scopes
							// too): the same records come back.
							if _, err := tx.ChangesSince(ctx, 0, fx.patients, fx.patients, v, 1000); err != nil {
								return err
							}
							pulled, err := tx.RecordsByIDs(ctx, scope, ids)
							if err != nil {
								return err
							}
							if len(pulled) != len(items) {
								t.Errorf("%s, patient %s at level %v: %d records with their changes, %d without", u.LoginID, pid, lvl, len(pulled), len(items))
							}
							for _, it := range pulled {
								if !viaReads[u.ID+it.ID] {
									t.Errorf("%s reads record %s with its change only", u.LoginID, it.ID)
								}
							}
						}
					}
					for _, r := range fx.records {
						a, err := tx.RecordAudience(ctx, policy, r.ID)
						if err != nil {
							return err
						}
						wantSubs := 0
						for i, u := range fx.users {
							in := a.Has(u.ID)
							if in != rule[u.ID+r.ID] || in != viaReads[u.ID+r.ID] {
								t.Errorf("record %s (%s by %s), %s: audience %v, rule %v, readsSQL %v", r.ID, r.Kind, r.AuthorProfession, fx.names[i],
									in, rule[u.ID+r.ID], viaReads[u.ID+r.ID])
							}
							if in {
								wantSubs += fx.subs[u.ID]
								readers++
							}
						}
						if len(a.Subscriptions) != wantSubs {
							t.Errorf("record %s: %d subscriptions, want %d", r.ID, len(a.Subscriptions), wantSubs)
						}
						for _, s := range a.Subscriptions {
							if !a.Has(s.UserID) || s.Endpoint == "" || s.P256dh != "p" || s.Auth != "a" {
								t.Errorf("record %s: subscription %+v", r.ID, s)
							}
						}
						if !slices.IsSorted(a.UserIDs) {
							t.Errorf("record %s: user ids not sorted", r.ID)
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if readers == 0 {
					t.Fatal("nobody reads anything: the fixture decides nothing")
				}
			})
		}
		err = db.Read(ctx, func(tx *store.Tx) error {
			a, err := tx.RecordAudience(ctx, care.Policy{ClinicalProfessions: care.DefaultClinicalProfessions}, id())
			if err == nil && (len(a.UserIDs) != 0 || len(a.Subscriptions) != 0) {
				t.Errorf("an unknown record has an audience: %+v", a)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// regionFixture collects the rows of TestRecordAudienceIsTheReadRule and
// the first error writing them.
type regionFixture struct {
	users       []store.User
	names       []string
	patients    []string
	records     []store.Record
	subs        map[string]int
	lastConsent string
	err         error
}

func (f *regionFixture) must(err error) {
	if f.err == nil {
		f.err = err
	}
}
