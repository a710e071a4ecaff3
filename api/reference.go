package api

import (
	"context"

	"tsunagu/internal/care"
)

// VitalRangesOutput is the one table of vital signs the server validates and
// flags with (care.VitalRanges); the app keeps a copy and flags with it.
type VitalRangesOutput struct {
	Body struct {
		Ranges        []care.VitalRange       `json:"ranges" doc:"numeric vitals in display order: possible values (min–max) and the screening thresholds"`
		Consciousness care.ConsciousnessScale `json:"consciousness" doc:"the Japan Coma Scale of the consciousness field"`
	}
}

// vitalRanges answers the vital-sign table to any signed-in user. It holds
// no patient data, so it is not audited.
func (s *Server) vitalRanges(ctx context.Context, _ *struct{}) (*VitalRangesOutput, error) {
	if _, err := s.authenticate(ctx); err != nil {
		return nil, err
	}
	out := &VitalRangesOutput{}
	out.Body.Ranges = care.VitalRanges
	out.Body.Consciousness = care.Consciousness
	return out, nil
}
