package store

import (
	"context"
	"fmt"
	"time"
)

// CareplanVisit links a visit to the slot of a 第6表 予定 file it was
// made from (migrations/00025_careplan.sql).
type CareplanVisit struct {
	VisitID     string    `db:"visit_id"`
	FacilityID  string    `db:"facility_id"`
	Month       string    `db:"month"` // YYYYMM
	FromOffice  string    `db:"from_office"`
	PatientID   string    `db:"patient_id"`
	ServiceType string    `db:"service_type"`
	ServiceItem string    `db:"service_item"`
	ServiceName string    `db:"service_name"`
	SlotKey     string    `db:"slot_key"`
	ImportedAt  time.Time `db:"imported_at"`
	ImportedBy  string    `db:"imported_by"`
	// Read with the link: the visit as it is now.
	Status   string    `db:"status"`
	StartsAt time.Time `db:"starts_at"`
	EndsAt   time.Time `db:"ends_at"`
}

// AddCareplanVisit records that visit c.VisitID was made from slot c.SlotKey.
func (tx *Tx) AddCareplanVisit(ctx context.Context, c CareplanVisit) error {
	_, err := tx.exec(ctx, `INSERT INTO careplan_visit (visit_id, facility_id, month, from_office, patient_id, service_type, service_item,
		service_name, slot_key, imported_at, imported_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.VisitID, c.FacilityID, c.Month, c.FromOffice, c.PatientID, c.ServiceType, c.ServiceItem, c.ServiceName, c.SlotKey,
		UTC(c.ImportedAt), c.ImportedBy)
	if err != nil {
		return fmt.Errorf("insert careplan visit: %w", err)
	}
	return nil
}

const careplanVisitColumns = `c.visit_id, c.facility_id, c.month, c.from_office, c.patient_id, c.service_type, c.service_item, c.service_name,
	c.slot_key, c.imported_at, c.imported_by, v.status, v.starts_at, v.ends_at`

// CareplanVisits lists the visits facility facilityID imported for month
// (YYYYMM) from the plans of office fromOffice ("" for every office), with
// the visits' status and times as they are now, by start.
func (tx *Tx) CareplanVisits(ctx context.Context, facilityID, month, fromOffice string) ([]CareplanVisit, error) {
	out := []CareplanVisit{}
	err := tx.sel(ctx, &out, `SELECT `+careplanVisitColumns+` FROM careplan_visit c JOIN visit v ON v.id = c.visit_id
		WHERE c.facility_id = ? AND c.month = ? AND (c.from_office = ? OR ? = '') ORDER BY v.starts_at, c.visit_id`,
		facilityID, month, fromOffice, fromOffice)
	if err != nil {
		return nil, fmt.Errorf("careplan visits: %w", err)
	}
	return out, nil
}

// PatientsByInsurance returns the patients whose 保険者番号 and 被保険者番号
// are these. The caller decides access to each.
func (tx *Tx) PatientsByInsurance(ctx context.Context, insurer, insured string) ([]string, error) {
	ids := []string{}
	err := tx.sel(ctx, &ids, `SELECT id FROM patient WHERE insured_number = ? AND insurer_number = ? ORDER BY id`, insured, insurer)
	if err != nil {
		return nil, fmt.Errorf("patients by insurance: %w", err)
	}
	return ids, nil
}

// LockCareplanImports serialises the care-plan imports of one facility for
// the rest of tx: two imports of the same file at once (a double tap, a
// retry) would otherwise both plan to create the same slots, and the one
// to commit second would fail on careplan_visit_slot. On PostgreSQL the
// facility's row is locked; SQLite's writes are serialised already.
func (tx *Tx) LockCareplanImports(ctx context.Context, facilityID string) error {
	if tx.engine != Postgres {
		return nil
	}
	_, err := tx.exec(ctx, `SELECT id FROM facility WHERE id = ? FOR UPDATE`, facilityID)
	return err
}
