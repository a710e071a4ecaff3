package api

import (
	"context"
	"errors"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// snapshotRecords is how many recent records a device gets of a patient it
// gains; older ones are read online.
const snapshotRecords = 200

// entityKinds registers what pull can send, in snapshot order. Each kind
// loads current rows as the caller may see them.
func (s *Server) entityKinds() {
	s.registerEntity("patient", entityKind{
		snapshot: func(_ context.Context, _ *store.Tx, _ *Principal, _ patientScope, patientID string) ([]string, error) {
			return []string{patientID}, nil
		},
		load: func(ctx context.Context, tx *store.Tx, _ *Principal, sc patientScope, patientID string, _ []string, put func(string, any)) error {
			p, err := tx.Patient(ctx, patientID)
			if err != nil {
				return err
			}
			put(patientID, patientOut(p, sc))
			return nil
		},
	})
	// The team travels as one entity per patient (id = patient id).
	s.registerEntity("team", entityKind{
		snapshot: func(_ context.Context, _ *store.Tx, _ *Principal, _ patientScope, patientID string) ([]string, error) {
			return []string{patientID}, nil
		},
		load: func(ctx context.Context, tx *store.Tx, _ *Principal, _ patientScope, patientID string, _ []string, put func(string, any)) error {
			ms, err := tx.Team(ctx, patientID)
			if err != nil {
				return err
			}
			put(patientID, map[string]any{"patient_id": patientID, "members": teamOut(ms)})
			return nil
		},
	})
	s.registerEntity("record", entityKind{
		snapshot: func(ctx context.Context, tx *store.Tx, p *Principal, sc patientScope, patientID string) ([]string, error) {
			return tx.RecentRecordIDs(ctx, patientID, care.RecordScopeFor(p.Viewer, sc.Level), snapshotRecords)
		},
		// The current version (who entered and confirmed it included) and
		// the read state; the history of versions and the readers' names
		// are read online (GET /records/{id}). Records the caller does not
		// read (chart kinds, facility disclosure) are left out in SQL.
		load: func(ctx context.Context, tx *store.Tx, p *Principal, sc patientScope, _ string, ids []string, put func(string, any)) error {
			items, err := tx.RecordsByIDs(ctx, care.RecordScopeFor(p.Viewer, sc.Level), ids)
			if err != nil {
				return err
			}
			for _, it := range items {
				put(it.ID, s.pullRecord(it))
			}
			return nil
		},
	})
	s.registerEntity("visit", entityKind{
		snapshot: func(ctx context.Context, tx *store.Tx, _ *Principal, _ patientScope, patientID string) ([]string, error) {
			return tx.VisitIDs(ctx, patientID)
		},
		load: func(ctx context.Context, tx *store.Tx, _ *Principal, _ patientScope, _ string, ids []string, put func(string, any)) error {
			for _, id := range ids {
				v, err := tx.Visit(ctx, id)
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				put(id, visitDetail(v))
			}
			return nil
		},
	})

	// The writes the app makes offline, as sync mutations: each is the REST
	// operation of the same name, with its path ids carried in args.
	s.mutations["record.create"] = mutationFor(s.createRecord, func(m MutationIn, in *CreateRecordInput) (err error) {
		in.ID, err = idArg(m, "patient_id")
		return err
	}, func(o *RecordCreatedOutput) any { return o.Body })
	s.mutations["record.amend"] = mutationFor(s.amendRecord, func(m MutationIn, in *AmendRecordInput) (err error) {
		in.ID, err = idArg(m, "record_id")
		return err
	}, func(o *RecordOutput) any { return o.Body })
	s.mutations["record.read"] = mutationFor(s.markRecordRead, func(m MutationIn, in *RecordIDInput) (err error) {
		in.ID, err = idArg(m, "record_id")
		return err
	}, func(o *MarkReadOutput) any { return o.Body })
	s.mutations["record.confirm"] = mutationFor(s.confirmRecord, func(m MutationIn, in *ConfirmRecordInput) (err error) {
		in.ID, err = idArg(m, "record_id")
		return err
	}, func(o *RecordOutput) any { return o.Body })
	s.mutations["visit.create"] = mutationFor(s.createVisit, func(m MutationIn, in *CreateVisitInput) (err error) {
		in.ID, err = idArg(m, "patient_id")
		return err
	}, func(o *VisitOutput) any { return o.Body })
	s.mutations["visit.update"] = mutationFor(s.updateVisit, func(m MutationIn, in *UpdateVisitInput) (err error) {
		in.ID, err = idArg(m, "visit_id")
		return err
	}, func(o *VisitOutput) any { return o.Body })
}
