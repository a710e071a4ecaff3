package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"tsunagu/internal/care"
)

// Patient is a stored patient row.
type Patient struct {
	ID         string `db:"id"`
	FacilityID string `db:"facility_id"`
	Name       string `db:"name"`
	NameKana   string `db:"name_kana"`
	BirthDate  string `db:"birth_date"`
	Sex        string `db:"sex"`
	Address    string `db:"address"`
	Phone      string `db:"phone"`
	// InsurerNumber (保険者番号) and InsuredNumber (被保険者番号) are the
	// 介護保険 numbers; empty when not known.
	InsurerNumber string    `db:"insurer_number"`
	InsuredNumber string    `db:"insured_number"`
	CreatedAt     time.Time `db:"created_at"`
	CreatedBy     string    `db:"created_by"`
	UpdatedAt     time.Time `db:"updated_at"`
	Version       int64     `db:"version"`
}

const patientColumns = `p.id, p.facility_id, p.name, p.name_kana, p.birth_date, p.sex, p.address, p.phone, p.created_at, p.created_by, p.updated_at, p.version,
	p.insurer_number, p.insured_number`

// CreatePatient inserts p; ErrIDTaken when its id names any entity.
func (tx *Tx) CreatePatient(ctx context.Context, p Patient) error {
	if err := tx.claimID(ctx, kindPatient, p.ID); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO patient (id, facility_id, name, name_kana, birth_date, sex, address, phone, created_at, created_by, updated_at, version,
		insurer_number, insured_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.FacilityID, p.Name, p.NameKana, p.BirthDate, p.Sex, p.Address, p.Phone, UTC(p.CreatedAt), p.CreatedBy, UTC(p.UpdatedAt), p.Version,
		p.InsurerNumber, p.InsuredNumber)
	if isPrimaryKeyViolation(err) {
		return ErrIDTaken
	}
	if err != nil {
		return fmt.Errorf("insert patient: %w", err)
	}
	return tx.AccessChanged(ctx)
}

// Patient returns one patient or ErrNotFound. It does not check access:
// callers decide with PatientFacts first.
func (tx *Tx) Patient(ctx context.Context, id string) (Patient, error) {
	var p Patient
	err := tx.get(ctx, &p, `SELECT `+patientColumns+` FROM patient p WHERE p.id = ?`, id)
	return p, err
}

// UpdatePatient writes the demographics of p and bumps its version.
func (tx *Tx) UpdatePatient(ctx context.Context, p Patient) error {
	_, err := tx.exec(ctx, `UPDATE patient SET name = ?, name_kana = ?, birth_date = ?, sex = ?, address = ?, phone = ?, insurer_number = ?, insured_number = ?,
		updated_at = ?, version = version + 1 WHERE id = ?`,
		p.Name, p.NameKana, p.BirthDate, p.Sex, p.Address, p.Phone, p.InsurerNumber, p.InsuredNumber, UTC(p.UpdatedAt), p.ID)
	if err != nil {
		return fmt.Errorf("update patient: %w", err)
	}
	return nil
}

// PatientFacts reads, in one indexed query, what the access rules need to
// decide how far user userID reaches patient patientID. An unknown patient
// gives facts with Exists false (never an error), so that the caller answers
// exactly as for a patient the user may not see.
func (tx *Tx) PatientFacts(ctx context.Context, patientID, userID string) (care.PatientFacts, error) {
	var row struct {
		FacilityID   string `db:"facility_id"`
		CreatedBy    string `db:"created_by"`
		TeamRole     string `db:"team_role"`
		ConsentScope string `db:"consent_scope"`
	}
	err := tx.get(ctx, &row, `SELECT p.facility_id, p.created_by,
		COALESCE((SELECT tm.role FROM team_member tm WHERE tm.patient_id = p.id AND tm.user_id = ? AND tm.removed_at IS NULL), '') AS team_role,
		COALESCE((SELECT c.scope FROM consent c WHERE c.patient_id = p.id AND c.withdrawn_at IS NULL ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1), '') AS consent_scope
		FROM patient p WHERE p.id = ?`, userID, patientID)
	if err == ErrNotFound {
		return care.PatientFacts{}, nil
	}
	if err != nil {
		return care.PatientFacts{}, fmt.Errorf("patient facts: %w", err)
	}
	return care.PatientFacts{
		Exists:            true,
		PatientFacilityID: row.FacilityID,
		RegistrarID:       row.CreatedBy,
		OnTeam:            row.TeamRole != "",
		TeamRole:          row.TeamRole,
		ConsentActive:     row.ConsentScope != "",
		ConsentScope:      row.ConsentScope,
	}, nil
}

// CaseloadEntry is a patient in a user's caseload with the facts that
// decide the user's access.
type CaseloadEntry struct {
	Patient
	TeamRole     string `db:"team_role"`
	ConsentScope string `db:"consent_scope"`
}

// Facts are the access facts of the entry for the user it was read for.
func (e CaseloadEntry) Facts() care.PatientFacts {
	return care.PatientFacts{Exists: true, PatientFacilityID: e.FacilityID, RegistrarID: e.CreatedBy, OnTeam: e.TeamRole != "",
		TeamRole: e.TeamRole, ConsentActive: e.ConsentScope != "", ConsentScope: e.ConsentScope}
}

// Reach is what the access rules need of one caseload patient.
type Reach struct {
	ID, FacilityID, RegistrarID, TeamRole, ConsentScope string
}

// Facts are the access facts of the patient for the user it was read for.
func (r Reach) Facts() care.PatientFacts {
	return care.PatientFacts{Exists: true, PatientFacilityID: r.FacilityID, RegistrarID: r.RegistrarID, OnTeam: r.TeamRole != "",
		TeamRole: r.TeamRole, ConsentActive: r.ConsentScope != "", ConsentScope: r.ConsentScope}
}

// Reaches is Caseload without the patients' details: what a pull or a
// search across the caseload decides access with, read on each pull.
func (tx *Tx) Reaches(ctx context.Context, userID, facilityID string) ([]Reach, error) {
	// A team patient without a consent (scope NULL) is left out below: it
	// is reached, if at all, by the second part, as its facility's.
	rows, err := tx.query(ctx, `SELECT p.id, p.facility_id, p.created_by, tm.role,
		(SELECT c.scope FROM consent c WHERE c.patient_id = p.id AND c.withdrawn_at IS NULL ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1), p.name_kana
		FROM team_member tm JOIN patient p ON p.id = tm.patient_id
		WHERE tm.user_id = ? AND tm.removed_at IS NULL
		UNION ALL
		SELECT p.id, p.facility_id, p.created_by, COALESCE((SELECT tm.role FROM team_member tm WHERE tm.patient_id = p.id AND tm.user_id = ? AND tm.removed_at IS NULL), ''), '', p.name_kana
		FROM patient p
		WHERE p.facility_id = ? AND NOT EXISTS (SELECT 1 FROM consent c WHERE c.patient_id = p.id AND c.withdrawn_at IS NULL)
		ORDER BY 6, 1`, userID, userID, facilityID)
	if err != nil {
		return nil, fmt.Errorf("caseload: %w", err)
	}
	defer rows.Close()
	out := []Reach{}
	var kana string
	for rows.Next() {
		var r Reach
		var scope sql.NullString
		if err := rows.Scan(&r.ID, &r.FacilityID, &r.RegistrarID, &r.TeamRole, &scope, &kana); err != nil {
			return nil, fmt.Errorf("caseload: %w", err)
		}
		if !scope.Valid {
			continue
		}
		r.ConsentScope = scope.String
		out = append(out, r)
	}
	return out, rows.Err()
}

// Caseload lists the patients user userID of facility facilityID may reach:
// those whose team they are on under an active consent, and those of their
// own facility without an active consent (of which care.PatientAccess
// keeps those the user registered, or all for a facility admin). Sorted by
// kana.
func (tx *Tx) Caseload(ctx context.Context, userID, facilityID string) ([]CaseloadEntry, error) {
	out := []CaseloadEntry{}
	err := tx.sel(ctx, &out, `SELECT `+patientColumns+`, tm.role AS team_role,
		(SELECT c.scope FROM consent c WHERE c.patient_id = p.id AND c.withdrawn_at IS NULL ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1) AS consent_scope
		FROM team_member tm JOIN patient p ON p.id = tm.patient_id
		WHERE tm.user_id = ? AND tm.removed_at IS NULL
		  AND EXISTS (SELECT 1 FROM consent c WHERE c.patient_id = p.id AND c.withdrawn_at IS NULL)
		UNION ALL
		SELECT `+patientColumns+`, COALESCE((SELECT tm.role FROM team_member tm WHERE tm.patient_id = p.id AND tm.user_id = ? AND tm.removed_at IS NULL), '') AS team_role, '' AS consent_scope
		FROM patient p
		WHERE p.facility_id = ? AND NOT EXISTS (SELECT 1 FROM consent c WHERE c.patient_id = p.id AND c.withdrawn_at IS NULL)
		ORDER BY name_kana, id`, userID, userID, facilityID)
	if err != nil {
		return nil, fmt.Errorf("caseload: %w", err)
	}
	return out, nil
}
