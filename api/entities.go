package api

import (
	"context"

	"tsunagu/internal/store"
)

// entityKinds registers what pull can send, in snapshot order. Each kind
// loads current rows as the caller may see them.
func (s *Server) entityKinds() {
	s.registerEntity("patient", entityKind{
		snapshot: func(_ context.Context, _ *store.Tx, _ *Principal, _ patientScope, patientID string) ([]string, error) {
			return []string{patientID}, nil
		},
		load: func(ctx context.Context, tx *store.Tx, _ *Principal, sc patientScope, patientID string, _ []string) (map[string]any, error) {
			p, err := tx.Patient(ctx, patientID)
			if err != nil {
				return nil, err
			}
			return map[string]any{patientID: patientOut(p, sc)}, nil
		},
	})
	// The team travels as one entity per patient (id = patient id).
	s.registerEntity("team", entityKind{
		snapshot: func(_ context.Context, _ *store.Tx, _ *Principal, _ patientScope, patientID string) ([]string, error) {
			return []string{patientID}, nil
		},
		load: func(ctx context.Context, tx *store.Tx, _ *Principal, _ patientScope, patientID string, _ []string) (map[string]any, error) {
			ms, err := tx.Team(ctx, patientID)
			if err != nil {
				return nil, err
			}
			return map[string]any{patientID: map[string]any{"patient_id": patientID, "members": teamOut(ms)}}, nil
		},
	})
}
