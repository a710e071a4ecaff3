package store

import (
	"context"
	"fmt"
)

// FacilityPatientIDs returns the ids of the patients registered at a
// facility (their home facility), in id order, for the facility's bulk
// export; the caller decides each patient's access on its own.
func (tx *Tx) FacilityPatientIDs(ctx context.Context, facilityID string) ([]string, error) {
	ids := []string{}
	if err := tx.sel(ctx, &ids, `SELECT id FROM patient WHERE facility_id = ? ORDER BY id`, facilityID); err != nil {
		return nil, fmt.Errorf("facility patients: %w", err)
	}
	return ids, nil
}
