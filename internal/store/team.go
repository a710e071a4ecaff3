package store

import (
	"context"
	"fmt"
	"time"
)

// TeamMember is a current member of a patient's care team, with the
// member's name, profession and facility for display.
type TeamMember struct {
	ID           string    `db:"id"`
	PatientID    string    `db:"patient_id"`
	UserID       string    `db:"user_id"`
	Role         string    `db:"role"`
	AddedAt      time.Time `db:"added_at"`
	AddedBy      string    `db:"added_by"`
	Name         string    `db:"name"`
	NameKana     string    `db:"name_kana"`
	Profession   string    `db:"profession"`
	FacilityID   string    `db:"facility_id"`
	FacilityName string    `db:"facility_name"`
	FacilityKind string    `db:"facility_kind"`
	Status       string    `db:"status"` // the member's account status (care.Status*)
}

// ErrAlreadyOnTeam is returned when the user is already a current member.
var ErrAlreadyOnTeam = fmt.Errorf("store: already on team")

// AddTeamMember adds user userID to patient patientID's team.
func (tx *Tx) AddTeamMember(ctx context.Context, id, patientID, userID, role, by string, now time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO team_member (id, patient_id, user_id, role, added_at, added_by) VALUES (?, ?, ?, ?, ?, ?)`,
		id, patientID, userID, role, UTC(now), by)
	if isUniqueViolation(err) {
		return ErrAlreadyOnTeam
	}
	if err != nil {
		return fmt.Errorf("insert team member: %w", err)
	}
	return tx.AccessChanged(ctx)
}

// RemoveTeamMember ends user userID's membership; the history row stays.
func (tx *Tx) RemoveTeamMember(ctx context.Context, patientID, userID, by string, now time.Time) error {
	n, err := tx.exec(ctx, `UPDATE team_member SET removed_at = ?, removed_by = ? WHERE patient_id = ? AND user_id = ? AND removed_at IS NULL`,
		UTC(now), by, patientID, userID)
	if err != nil {
		return fmt.Errorf("remove team member: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return tx.AccessChanged(ctx)
}

// Team lists the current members of a patient's team, suspended and
// revoked accounts included (they stay members until removed, but reach
// nothing while their account is not active).
func (tx *Tx) Team(ctx context.Context, patientID string) ([]TeamMember, error) {
	ms := []TeamMember{}
	err := tx.sel(ctx, &ms, `SELECT tm.id, tm.patient_id, tm.user_id, tm.role, tm.added_at, tm.added_by,
		u.name, u.name_kana, u.profession, COALESCE(u.facility_id, '') AS facility_id, COALESCE(f.name, '') AS facility_name,
		COALESCE(f.kind, '') AS facility_kind, u.status
		FROM team_member tm JOIN app_user u ON u.id = tm.user_id LEFT JOIN facility f ON f.id = u.facility_id
		WHERE tm.patient_id = ? AND tm.removed_at IS NULL ORDER BY tm.added_at, tm.id`, patientID)
	return ms, err
}

// TeamUserIDs returns the user ids of a patient's current team.
func (tx *Tx) TeamUserIDs(ctx context.Context, patientID string) ([]string, error) {
	ids := []string{}
	err := tx.sel(ctx, &ids, `SELECT user_id FROM team_member WHERE patient_id = ? AND removed_at IS NULL ORDER BY user_id`, patientID)
	return ids, err
}

// UserTeamPatientIDs returns the patients whose current team includes userID.
func (tx *Tx) UserTeamPatientIDs(ctx context.Context, userID string) ([]string, error) {
	ids := []string{}
	err := tx.sel(ctx, &ids, `SELECT patient_id FROM team_member WHERE user_id = ? AND removed_at IS NULL ORDER BY patient_id`, userID)
	return ids, err
}
