package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
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
//
// Attachments are held to the same table: each record cites a photo of its
// own (in its first version only, or its second), and for every user the
// photo is read (store.AttachmentFacts, care.AttachmentRead) exactly when
// the record is, with the record read's refusal. A consent form is read by
// those who manage the patient; an upload its patient's records do not
// cite (another patient's may) by its uploader alone.
func TestRecordAudienceIsTheReadRule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
		id := func() string { return uuid.Must(uuid.NewV7()).String() }
		fx := regionFixture{subs: map[string]int{}, cites: map[string]string{}, forms: map[string]string{}, uncited: map[string]string{},
			attachments: map[string]store.Attachment{}}
		err := db.Write(ctx, func(tx *store.Tx) error {
			attach := func(pid string, by store.User) string {
				a := store.Attachment{ID: id(), PatientID: pid, SHA256: strings.Repeat("a", 64), Size: 1, ContentType: "image/jpeg", Width: 1, Height: 1,
					UploadedBy: by.ID, UploadedAt: now}
				_, _, err := tx.CreateAttachment(ctx, a)
				fx.must(err)
				fx.attachments[a.ID] = a
				return a.ID
			}
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
					c := store.Consent{ID: fx.lastConsent, PatientID: pid, ObtainedOn: "2026-11-01", Scope: scope, ObtainedBy: docA.ID,
						RecordedBy: docA.ID, RecordedAt: now.Add(time.Duration(j) * time.Minute)}
					if j == 0 { // the first consent's scanned form
						fx.forms[pid] = attach(pid, docA)
						c.AttachmentID = sql.NullString{String: fx.forms[pid], Valid: true}
					}
					fx.must(tx.CreateConsent(ctx, c))
				}
				for _, u := range fx.users {
					if u.ID != outsider.ID {
						fx.must(tx.AddTeamMember(ctx, id(), pid, u.ID, care.RoleOther, docA.ID, now))
					}
				}
				fx.must(tx.RemoveTeamMember(ctx, pid, leaver.ID, docA.ID, now))
				// An upload nothing cites; on the first patient, one that
				// only other patients' records cite.
				fx.uncited[pid] = attach(pid, nurseB)
				if i == 0 {
					fx.foreign = attach(pid, docA)
				}
				for _, w := range []struct {
					author store.User
					kind   string
				}{{docA, "doctor_note"}, {docA, "note"}, {nurseB, "nursing_visit"}, {nurseB, "care_note"}, {workerB, "note"}} {
					r := store.Record{ID: id(), PatientID: pid, Kind: w.kind, Chart: care.RecordLevel(w.kind) == care.Chart, AuthorID: w.author.ID,
						AuthorFacilityID: w.author.FacilityID.String, AuthorProfession: w.author.Profession, OccurredAt: now, CreatedAt: now,
						RequestHash: fmt.Sprint(i)}
					// Each record cites a photo of its own, in one of two
					// versions: the first (dropped by the second) or the
					// second only. The other patients' notes also cite
					// the first patient's foreign photo.
					photo := attach(pid, w.author)
					fx.cites[photo] = r.ID
					v1 := store.RecordVersion{RecordID: r.ID, Version: 1, Status: care.RecordFinal, EnteredBy: w.author.ID, CreatedAt: now}
					v2 := store.RecordVersion{RecordID: r.ID, Version: 2, ParentVersion: 1, Status: care.RecordFinal, EnteredBy: w.author.ID, CreatedAt: now}
					if len(fx.records)%2 == 0 {
						v1.Content.AttachmentIDs = []string{photo}
					} else {
						v2.Content.AttachmentIDs = []string{photo}
					}
					if i > 0 && w.kind == "note" {
						v2.Content.AttachmentIDs = append(v2.Content.AttachmentIDs, fx.foreign)
					}
					fx.must(tx.CreateRecord(ctx, r, v1))
					fx.must(tx.AddRecordVersion(ctx, v2))
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
					attachments := map[string]attachmentCase{} // user + patient
					for _, u := range fx.users {
						v := care.Viewer{UserID: u.ID, FacilityID: u.FacilityID.String, Profession: u.Profession}
						for _, pid := range fx.patients {
							f, err := tx.PatientFacts(ctx, pid, u.ID)
							if err != nil {
								return err
							}
							lvl := care.PatientAccess(policy, v, f)
							scope := care.RecordScopeFor(v, lvl)
							attachments[u.ID+pid] = attachmentCase{facts: f, level: lvl}
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
							if _, err := tx.ChangesSince(ctx, 0, math.MaxInt64, fx.patients, fx.patients, v, 1000); err != nil {
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
					// Every attachment is read exactly as the rule says:
					// a record's photo as the record, a consent form by
					// those who manage the patient, an upload nothing of
					// its patient cites by its uploader alone.
					attachmentReaders := 0
					for aid, att := range fx.attachments {
						af, err := tx.AttachmentFacts(ctx, att)
						if err != nil {
							return err
						}
						for i, u := range fx.users {
							v := care.Viewer{UserID: u.ID, FacilityID: u.FacilityID.String, Profession: u.Profession}
							c := attachments[u.ID+att.PatientID]
							refusal := care.AttachmentRead(policy, v, c.facts, c.level, af)
							got := u.Status == care.StatusActive && refusal == nil
							var want bool
							var what string
							switch {
							case fx.cites[aid] != "":
								rid := fx.cites[aid]
								want, what = rule[u.ID+rid], "the photo of record "+rid
								if want != viaReads[u.ID+rid] {
									t.Errorf("%s: rule and readsSQL differ on record %s", fx.names[i], rid)
								}
								var r store.Record
								for _, x := range fx.records {
									if x.ID == rid {
										r = x
									}
								}
								fac, err := tx.Facility(ctx, r.AuthorFacilityID)
								if err != nil {
									return err
								}
								recordRefusal := care.RecordRead(policy, v, c.level, care.RecordFacts{Chart: r.Chart, AuthorID: r.AuthorID,
									AuthorFacilityID: r.AuthorFacilityID, AuthorDisclosure: fac.Disclosure})
								if !errors.Is(refusal, recordRefusal) && refusal != recordRefusal {
									t.Errorf("%s, %s: refused with %v, the record with %v", fx.names[i], what, refusal, recordRefusal)
								}
							case fx.forms[att.PatientID] == aid:
								want, what = u.Status == care.StatusActive && care.CanManage(v, c.facts, c.level), "a consent form"
							default:
								want, what = u.Status == care.StatusActive && u.ID == att.UploadedBy &&
									(c.level >= care.Shared || care.CanManage(v, c.facts, c.level)), "an upload its patient's records do not cite"
							}
							if got != want {
								t.Errorf("%s, %s (patient %s): reads %v, want %v", fx.names[i], what, att.PatientID, got, want)
							}
							if got {
								attachmentReaders++
							}
						}
					}
					if attachmentReaders == 0 {
						t.Error("nobody reads any attachment: the fixture decides nothing")
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

	attachments map[string]store.Attachment
	cites       map[string]string // photo → the one record citing it
	forms       map[string]string // patient → consent form
	uncited     map[string]string // patient → upload nothing cites
	foreign     string            // the first patient's, cited by the others' notes only
}

// attachmentCase is what the API knows of one viewer and one patient.
type attachmentCase struct {
	facts care.PatientFacts
	level care.Level
}

func (f *regionFixture) must(err error) {
	if f.err == nil {
		f.err = err
	}
}
