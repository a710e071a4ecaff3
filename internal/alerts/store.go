package alerts

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"tsunagu/internal/store"
)

// Alert statuses.
const (
	StatusOpen         = "open"
	StatusAcknowledged = "acknowledged"
)

// Alert is one alert: a rule fired for a user.
type Alert struct {
	ID         string   `db:"id"`
	Rule       string   `db:"rule"`
	UserID     string   `db:"user_id"`
	UserName   string   `db:"user_name"` // from the account, when read
	FacilityID string   `db:"facility_id"`
	PatientIDs []string `db:"-"`
	// Count is the most the rule counted in one window while the alert
	// was open: refused accesses, distinct patients or addresses, changes.
	Count          int64          `db:"count"`
	FirstAt        time.Time      `db:"first_at"` // the firing that opened it
	LastAt         time.Time      `db:"last_at"`  // the latest firing
	Status         string         `db:"status"`
	Note           string         `db:"note"`
	AcknowledgedBy sql.NullString `db:"acknowledged_by"`
	AcknowledgedAt sql.NullTime   `db:"acknowledged_at"`
}

type alertRow struct {
	Alert
	PatientIDsJSON string `db:"patient_ids"`
}

func (r alertRow) alert() (Alert, error) {
	a := r.Alert
	if err := json.Unmarshal([]byte(r.PatientIDsJSON), &a.PatientIDs); err != nil {
		return a, fmt.Errorf("alerts: alert %s: patient ids: %w", a.ID, err)
	}
	a.FirstAt, a.LastAt = store.UTC(a.FirstAt), store.UTC(a.LastAt)
	if a.AcknowledgedAt.Valid {
		a.AcknowledgedAt.Time = store.UTC(a.AcknowledgedAt.Time)
	}
	return a, nil
}

const alertColumns = `a.id, a.rule, a.user_id, COALESCE(u.name, '') AS user_name, a.facility_id, a.patient_ids, a.count,
	a.first_at, a.last_at, a.status, a.note, a.acknowledged_by, a.acknowledged_at`

// ListLimit is how many alerts a list answers at most (the newest).
const ListLimit = 500

// Filter narrows a list of alerts; empty fields do not filter.
type Filter struct {
	Status     string
	UserID     string // alerts about this user
	FacilityID string // alerts about this facility's staff
	// StaffOnly leaves out the alerts about network administrators: a
	// facility administrator does not manage those accounts
	// (care.CanManageUser), so neither reads nor closes their alerts.
	StaffOnly bool
}

// List returns the alerts matching f, newest last_at first, at most
// ListLimit.
func List(ctx context.Context, tx *store.Tx, f Filter) ([]Alert, error) {
	q := `SELECT ` + alertColumns + ` FROM alert a LEFT JOIN app_user u ON u.id = a.user_id WHERE 1 = 1`
	var args []any
	if f.Status != "" {
		q += ` AND a.status = ?`
		args = append(args, f.Status)
	}
	if f.UserID != "" {
		q += ` AND a.user_id = ?`
		args = append(args, f.UserID)
	}
	if f.FacilityID != "" {
		q += ` AND a.facility_id = ?`
		args = append(args, f.FacilityID)
	}
	if f.StaffOnly {
		q += ` AND (u.network_admin IS NULL OR u.network_admin = ?)`
		args = append(args, false)
	}
	q += fmt.Sprintf(` ORDER BY a.last_at DESC, a.id DESC LIMIT %d`, ListLimit)
	var rows []alertRow
	if err := tx.Select(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("alerts: list: %w", err)
	}
	out := make([]Alert, 0, len(rows))
	for _, r := range rows {
		a, err := r.alert()
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Get reads one alert; store.ErrNotFound when there is none.
func Get(ctx context.Context, tx *store.Tx, id string) (Alert, error) {
	var r alertRow
	if err := tx.Get(ctx, &r, `SELECT `+alertColumns+` FROM alert a LEFT JOIN app_user u ON u.id = a.user_id WHERE a.id = ?`, id); err != nil {
		return Alert{}, err
	}
	return r.alert()
}

// Acknowledge closes the open alert id with a note; false when it is not
// open (acknowledged already, by someone first).
func Acknowledge(ctx context.Context, tx *store.Tx, id, by, note string, at time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE alert SET status = 'acknowledged', note = ?, acknowledged_by = ?, acknowledged_at = ? WHERE id = ? AND status = 'open'`,
		note, by, store.UTC(at), id)
	if err != nil {
		return false, fmt.Errorf("alerts: acknowledge: %w", err)
	}
	return n == 1, nil
}

// Prune removes what the rules saw before their windows (everything of a
// rule that is off), and the tallies left without anything: the daily
// housekeeping. A nil cfg is DefaultConfig, as for the API.
func Prune(ctx context.Context, tx *store.Tx, cfg Config, now time.Time) error {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	for _, rule := range Rules {
		r := cfg[rule]
		var err error
		if r.Off() {
			_, err = tx.Exec(ctx, `DELETE FROM alert_seen WHERE rule = ?`, rule)
		} else {
			_, err = tx.Exec(ctx, `DELETE FROM alert_seen WHERE rule = ? AND at <= ?`, rule, store.UTC(now.Add(-r.Window)))
		}
		if err != nil {
			return fmt.Errorf("alerts: prune %s: %w", rule, err)
		}
	}
	_, err := tx.Exec(ctx, `DELETE FROM alert_tally WHERE NOT EXISTS
		(SELECT 1 FROM alert_seen s WHERE s.rule = alert_tally.rule AND s.user_id = alert_tally.user_id)`)
	if err != nil {
		return fmt.Errorf("alerts: prune tallies: %w", err)
	}
	return nil
}
