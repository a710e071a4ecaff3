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
		patientOf: recordPatientOf,
		snapshot: func(ctx context.Context, tx *store.Tx, p *Principal, sc patientScope, patientID string) ([]string, error) {
			return tx.RecentRecordIDs(ctx, patientID, care.RecordScopeFor(p.Viewer, sc.Level), snapshotRecords)
		},
		// The current version (who entered and confirmed it included) and
		// the read state; the history of versions and the readers' names
		// are read online (GET /records/{id}). Records the caller does not
		// read (chart kinds, facility disclosure) are left out in SQL.
		load: func(ctx context.Context, tx *store.Tx, p *Principal, sc patientScope, _ string, ids []string, put func(string, any)) error {
			return s.pullRecords(ctx, tx, care.RecordScopeFor(p.Viewer, sc.Level), ids, put)
		},
	})
	s.registerEntity("visit", entityKind{
		patientOf: visitPatientOf,
		snapshot: func(ctx context.Context, tx *store.Tx, _ *Principal, _ patientScope, patientID string) ([]string, error) {
			return tx.VisitIDs(ctx, patientID)
		},
		load: func(ctx context.Context, tx *store.Tx, _ *Principal, _ patientScope, _ string, ids []string, put func(string, any)) error {
			vs, err := tx.VisitsByIDs(ctx, ids)
			if err != nil {
				return err
			}
			for _, v := range vs {
				put(v.ID, visitDetail(v))
			}
			return nil
		},
	})

	s.registerEntity("message", s.messageEntityKind())

	// The writes the app makes offline, as sync mutations: each is the REST
	// operation of the same name, with its path id carried in args, and the
	// loader that rebuilds its answer for a resend (sync_answers.go).
	record := func(d RecordDetail) (any, entityRef) { return d, d.ref() }
	visit := func(d VisitDetail) (any, entityRef) { return d, d.ref() }
	s.mutations["record.create"] = mutationFor(s.createRecord, "patient_id", func(in *CreateRecordInput, id string) { in.ID = id },
		func(o *RecordCreatedOutput) (any, entityRef) { return record(o.Body) }).answeredBy(recordAnswer)
	s.mutations["record.amend"] = mutationFor(s.amendRecord, "record_id", func(in *AmendRecordInput, id string) { in.ID = id },
		func(o *RecordOutput) (any, entityRef) { return record(o.Body) }).answeredBy(recordAnswer)
	s.mutations["record.read"] = mutationFor(s.markRecordRead, "record_id", func(in *RecordIDInput, id string) { in.ID = id },
		func(o *MarkReadOutput) (any, entityRef) {
			return o.Body, entityRef{Kind: "record", ID: o.Body.RecordID}
		}).answeredBy(readAnswer)
	s.mutations["record.confirm"] = mutationFor(s.confirmRecord, "record_id", func(in *ConfirmRecordInput, id string) { in.ID = id },
		func(o *RecordOutput) (any, entityRef) { return record(o.Body) }).answeredBy(recordAnswer)
	s.mutations["visit.create"] = mutationFor(s.createVisit, "patient_id", func(in *CreateVisitInput, id string) { in.ID = id },
		func(o *VisitOutput) (any, entityRef) { return visit(o.Body) }).answeredBy(visitAnswer)
	s.mutations["visit.update"] = mutationFor(s.updateVisit, "visit_id", func(in *UpdateVisitInput, id string) { in.ID = id },
		func(o *VisitOutput) (any, entityRef) { return visit(o.Body) }).answeredBy(visitAnswer)
	s.mutations["consent.create"] = mutationFor(s.createConsent, "patient_id", func(in *CreateConsentInput, id string) { in.ID = id },
		func(o *ConsentOutput) (any, entityRef) { return o.Body, entityRef{Kind: "consent", ID: o.Body.ID} }).answeredBy(consentAnswer)
	s.mutations["message.create"] = mutationFor(s.createMessage, "patient_id", func(in *CreateMessageInput, id string) { in.ID = id },
		func(o *MessageCreatedOutput) (any, entityRef) { return o.Body, o.Body.ref() }).answeredBy(messageAnswer)
	s.answerEntities()
}

// answerEntities registers the kinds a mutation's answer shows that pull
// does not send (a consent travels in its patient's detail): a resent
// mutation's answer shows one while the caller reads its patient
// (readsNow), as GET /patients/{id} shows the consents.
func (s *Server) answerEntities() {
	s.entities["consent"] = entityKind{
		patientOf: func(ctx context.Context, tx *store.Tx, id string) (string, error) {
			return tx.ConsentPatientID(ctx, id)
		},
		load: func(ctx context.Context, tx *store.Tx, _ *Principal, _ patientScope, patientID string, ids []string, put func(string, any)) error {
			for _, id := range ids {
				c, err := tx.Consent(ctx, patientID, id)
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				put(id, consentOut(c))
			}
			return nil
		},
	}
}
