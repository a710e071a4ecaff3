package store

import (
	"context"
	"fmt"
	"time"
)

// Facility is a stored facility row.
type Facility struct {
	ID         string `db:"id"`
	Name       string `db:"name"`
	NameKana   string `db:"name_kana"`
	Kind       string `db:"kind"`
	Disclosure string `db:"disclosure"`
	// OfficeNumber is the 介護保険事業所番号 (10 digits); empty when the
	// facility has none.
	OfficeNumber string    `db:"office_number"`
	CreatedAt    time.Time `db:"created_at"`
}

// CreateFacility inserts f; ErrIDTaken when its id names any entity.
func (tx *Tx) CreateFacility(ctx context.Context, f Facility, by string) error {
	if err := tx.claimID(ctx, kindFacility, f.ID); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO facility (id, name, name_kana, kind, disclosure, office_number, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.Name, f.NameKana, f.Kind, f.Disclosure, f.OfficeNumber, UTC(f.CreatedAt), by)
	if isPrimaryKeyViolation(err) {
		return ErrIDTaken
	}
	if err != nil {
		return fmt.Errorf("insert facility: %w", err)
	}
	return nil
}

// Facility returns one facility or ErrNotFound.
func (tx *Tx) Facility(ctx context.Context, id string) (Facility, error) {
	var f Facility
	err := tx.get(ctx, &f, `SELECT id, name, name_kana, kind, disclosure, office_number, created_at FROM facility WHERE id = ?`, id)
	return f, err
}

// Facilities lists every facility by kana.
func (tx *Tx) Facilities(ctx context.Context) ([]Facility, error) {
	fs := []Facility{}
	err := tx.sel(ctx, &fs, `SELECT id, name, name_kana, kind, disclosure, office_number, created_at FROM facility ORDER BY name_kana, id`)
	return fs, err
}

// UpdateFacility writes the name, kana, kind and disclosure of f;
// ErrNotFound when there is no such facility.
func (tx *Tx) UpdateFacility(ctx context.Context, f Facility) error {
	n, err := tx.exec(ctx, `UPDATE facility SET name = ?, name_kana = ?, kind = ?, disclosure = ?, office_number = ? WHERE id = ?`,
		f.Name, f.NameKana, f.Kind, f.Disclosure, f.OfficeNumber, f.ID)
	if err != nil {
		return fmt.Errorf("update facility: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return tx.AccessChanged(ctx)
}

// StaffProfessions lists the distinct professions of the accounts of a
// facility that are not revoked (a revoked account never works again).
func (tx *Tx) StaffProfessions(ctx context.Context, facilityID string) ([]string, error) {
	ps := []string{}
	err := tx.sel(ctx, &ps, `SELECT DISTINCT profession FROM app_user WHERE facility_id = ? AND status <> 'revoked' ORDER BY profession`, facilityID)
	return ps, err
}

// PatientsWithChartBy lists the patients with chart records written by
// staff of a facility: those whose readers change when its disclosure does.
func (tx *Tx) PatientsWithChartBy(ctx context.Context, facilityID string) ([]string, error) {
	ids := []string{}
	err := tx.sel(ctx, &ids, `SELECT DISTINCT patient_id FROM record WHERE author_facility_id = ? AND chart = ? ORDER BY patient_id`, facilityID, true)
	return ids, err
}
