package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestAuthoredInstructionsSkipsNotesWithout: the digest's candidates for
// instructions awaiting the team's reading are the doctor's notes that give
// one. A busy doctor's newer notes without an instruction never push a
// standing instruction past the limit (they took the limit's places when the
// notes were filtered after it), and a note whose instruction an amendment
// removed is no candidate.
func TestAuthoredInstructionsSkipsNotesWithout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		id := func() string { return uuid.Must(uuid.NewV7()).String() }
		fid, pid := id(), id()
		doc := store.User{ID: id(), LoginID: "doc", Name: "試験", NameKana: "シケン", Profession: care.ProfDoctor, PasswordHash: "x",
			PasswordChangedAt: now, Status: care.StatusActive, LastActiveAt: now, CreatedAt: now, UpdatedAt: now,
			FacilityID: sql.NullString{String: fid, Valid: true}}
		var standing, amended string
		err := db.Write(ctx, func(tx *store.Tx) error {
			if err := tx.CreateFacility(ctx, store.Facility{ID: fid, Name: "施設", NameKana: "シセツ", Kind: "clinic", Disclosure: care.DisclosureFull, CreatedAt: now}, ""); err != nil {
				return err
			}
			if err := tx.CreateUser(ctx, doc); err != nil {
				return err
			}
			if err := tx.CreatePatient(ctx, store.Patient{ID: pid, FacilityID: fid, Name: "見本", NameKana: "ミホン", BirthDate: "1940-01-01", Sex: "female",
				CreatedAt: now, CreatedBy: doc.ID, UpdatedAt: now, Version: 1}); err != nil {
				return err
			}
			note := func(at time.Time, f care.RecordFields) (string, error) {
				r := store.Record{ID: id(), PatientID: pid, Kind: care.KindDoctorNote, Chart: true, AuthorID: doc.ID, AuthorFacilityID: fid,
					AuthorProfession: care.ProfDoctor, OccurredAt: at, CreatedAt: at, RequestHash: fmt.Sprint(at.UnixNano())}
				v := store.RecordVersion{RecordID: r.ID, Version: 1, Status: care.RecordFinal, EnteredBy: doc.ID, CreatedAt: at,
					Content: care.RecordContent{Fields: f, AttachmentIDs: []string{}}}
				return r.ID, tx.CreateRecord(ctx, r, v)
			}
			var err error
			if standing, err = note(now, care.RecordFields{Instruction: "点滴を継続", InstructionValidUntil: "2026-12-31"}); err != nil {
				return err
			}
			if amended, err = note(now.Add(time.Minute), care.RecordFields{Instruction: "安静"}); err != nil {
				return err
			}
			if err := tx.AddRecordVersion(ctx, store.RecordVersion{RecordID: amended, Version: 2, ParentVersion: 1, Status: care.RecordFinal,
				Reason: "指示を取り消し", EnteredBy: doc.ID, CreatedAt: now.Add(2 * time.Minute),
				Content: care.RecordContent{Fields: care.RecordFields{Note: "指示なし"}, AttachmentIDs: []string{}}}); err != nil {
				return err
			}
			for i := range 3 { // newer notes without an instruction (one only names its valid-until day)
				f := care.RecordFields{Findings: "著変なし"}
				if i == 0 {
					f.InstructionValidUntil = "2026-12-31"
				}
				if _, err := note(now.Add(time.Duration(10+i)*time.Minute), f); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Read(ctx, func(tx *store.Tx) error {
			got, err := tx.AuthoredInstructions(ctx, care.Viewer{UserID: doc.ID, FacilityID: fid, Profession: care.ProfDoctor}, []string{pid}, now.Add(-time.Hour), 1)
			if err != nil {
				return err
			}
			if len(got) != 1 || got[0].ID != standing {
				t.Errorf("limit 1: got %d candidates (first %v), want the standing instruction %s", len(got), got, standing)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
