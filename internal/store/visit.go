package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"tsunagu/internal/care"
)

// Visit is a stored calendar entry with its assignees and, for a series,
// its exceptions.
type Visit struct {
	ID          string
	PatientID   string
	Kind        string
	StartsAt    time.Time
	EndsAt      time.Time
	AllDay      bool
	Note        string
	Status      string
	RecordID    string
	Recurrence  *care.Recurrence
	SeriesEnd   time.Time
	Version     int64
	CreatedAt   time.Time
	CreatedBy   string
	UpdatedAt   time.Time
	UpdatedBy   string
	AssigneeIDs []string
	Exceptions  []VisitException
}

// VisitException is one occurrence of a series changed on its own. Invalid
// (NULL) fields keep the series' value.
type VisitException struct {
	VisitID         string         `db:"visit_id"`
	OccurrenceStart time.Time      `db:"occurrence_start"`
	StartsAt        sql.NullTime   `db:"starts_at"`
	EndsAt          sql.NullTime   `db:"ends_at"`
	Status          sql.NullString `db:"status"`
	Note            sql.NullString `db:"note"`
	RecordID        sql.NullString `db:"record_id"`
	UpdatedAt       time.Time      `db:"updated_at"`
	UpdatedBy       string         `db:"updated_by"`
	// AssigneeIDs, when not nil, are the occurrence's own assignees (a
	// substitute), sorted; nil keeps the series' assignees.
	AssigneeIDs []string `db:"-"`
}

// Exception returns the exception for the occurrence starting at start.
func (v Visit) Exception(start time.Time) (VisitException, bool) {
	for _, e := range v.Exceptions {
		if e.OccurrenceStart.Equal(start) {
			return e, true
		}
	}
	return VisitException{}, false
}

// VisitHistoryEntry is one stored version of a visit.
type VisitHistoryEntry struct {
	Version   int64     `db:"version"`
	ChangedBy string    `db:"changed_by"`
	ChangedAt time.Time `db:"changed_at"`
	Snapshot  string    `db:"snapshot"`
}

// ErrStaleVersion is returned by UpdateVisit when the visit's version is no
// longer the one the change was based on.
var ErrStaleVersion = errors.New("store: stale visit version")

type visitRow struct {
	ID         string         `db:"id"`
	PatientID  string         `db:"patient_id"`
	Kind       string         `db:"kind"`
	StartsAt   time.Time      `db:"starts_at"`
	EndsAt     time.Time      `db:"ends_at"`
	AllDay     bool           `db:"all_day"`
	Note       string         `db:"note"`
	Status     string         `db:"status"`
	RecordID   sql.NullString `db:"record_id"`
	Recurrence sql.NullString `db:"recurrence"`
	SeriesEnd  time.Time      `db:"series_end"`
	Version    int64          `db:"version"`
	CreatedAt  time.Time      `db:"created_at"`
	CreatedBy  string         `db:"created_by"`
	UpdatedAt  time.Time      `db:"updated_at"`
	UpdatedBy  string         `db:"updated_by"`
}

const visitColumns = `v.id, v.patient_id, v.kind, v.starts_at, v.ends_at, v.all_day, v.note, v.status, v.record_id, v.recurrence,
	v.series_end, v.version, v.created_at, v.created_by, v.updated_at, v.updated_by`

func recurrenceJSON(r *care.Recurrence) (sql.NullString, error) {
	if r == nil {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

func nullTime(t sql.NullTime) sql.NullTime {
	if t.Valid {
		t.Time = UTC(t.Time)
	}
	return t
}

// CreateVisit inserts v with its assignees. An id that names any entity
// already is ErrIDTaken.
func (tx *Tx) CreateVisit(ctx context.Context, v Visit) error {
	if err := tx.claimID(ctx, kindVisit, v.ID); err != nil {
		return err
	}
	rec, err := recurrenceJSON(v.Recurrence)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO visit (id, patient_id, kind, starts_at, ends_at, all_day, note, status, record_id, recurrence,
		series_end, version, created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.ID, v.PatientID, v.Kind, UTC(v.StartsAt), UTC(v.EndsAt), v.AllDay, v.Note, v.Status, nullStr(v.RecordID), rec,
		UTC(v.SeriesEnd), v.Version, UTC(v.CreatedAt), v.CreatedBy, UTC(v.UpdatedAt), v.UpdatedBy)
	if isPrimaryKeyViolation(err) {
		return ErrIDTaken
	}
	if err != nil {
		return fmt.Errorf("insert visit: %w", err)
	}
	return tx.setAssignees(ctx, v.ID, v.AssigneeIDs)
}

func (tx *Tx) setAssignees(ctx context.Context, visitID string, userIDs []string) error {
	if _, err := tx.exec(ctx, `DELETE FROM visit_assignee WHERE visit_id = ?`, visitID); err != nil {
		return fmt.Errorf("clear visit assignees: %w", err)
	}
	for _, u := range userIDs {
		if _, err := tx.exec(ctx, `INSERT INTO visit_assignee (visit_id, user_id) VALUES (?, ?)`, visitID, u); err != nil {
			return fmt.Errorf("insert visit assignee: %w", err)
		}
	}
	return nil
}

// UpdateVisit writes v (its series fields and assignees) as version
// baseVersion+1. It returns ErrStaleVersion when the stored version is not
// baseVersion, so that of two concurrent changes only the first wins.
func (tx *Tx) UpdateVisit(ctx context.Context, v Visit, baseVersion int64) error {
	rec, err := recurrenceJSON(v.Recurrence)
	if err != nil {
		return err
	}
	n, err := tx.exec(ctx, `UPDATE visit SET kind = ?, starts_at = ?, ends_at = ?, all_day = ?, note = ?, status = ?, record_id = ?,
		recurrence = ?, series_end = ?, updated_at = ?, updated_by = ?, version = version + 1 WHERE id = ? AND version = ?`,
		v.Kind, UTC(v.StartsAt), UTC(v.EndsAt), v.AllDay, v.Note, v.Status, nullStr(v.RecordID), rec, UTC(v.SeriesEnd),
		UTC(v.UpdatedAt), v.UpdatedBy, v.ID, baseVersion)
	if err != nil {
		return fmt.Errorf("update visit: %w", err)
	}
	if n == 0 {
		return ErrStaleVersion
	}
	return tx.setAssignees(ctx, v.ID, v.AssigneeIDs)
}

// PutVisitException stores e, replacing an earlier exception of the same
// occurrence.
func (tx *Tx) PutVisitException(ctx context.Context, e VisitException) error {
	if _, err := tx.exec(ctx, `DELETE FROM visit_exception WHERE visit_id = ? AND occurrence_start = ?`, e.VisitID, UTC(e.OccurrenceStart)); err != nil {
		return fmt.Errorf("replace visit exception: %w", err)
	}
	_, err := tx.exec(ctx, `INSERT INTO visit_exception (visit_id, occurrence_start, starts_at, ends_at, status, note, record_id, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.VisitID, UTC(e.OccurrenceStart), nullTime(e.StartsAt), nullTime(e.EndsAt), e.Status, e.Note,
		e.RecordID, UTC(e.UpdatedAt), e.UpdatedBy)
	if err != nil {
		return fmt.Errorf("insert visit exception: %w", err)
	}
	if _, err := tx.exec(ctx, `DELETE FROM visit_exception_assignee WHERE visit_id = ? AND occurrence_start = ?`, e.VisitID, UTC(e.OccurrenceStart)); err != nil {
		return fmt.Errorf("replace occurrence assignees: %w", err)
	}
	for _, u := range e.AssigneeIDs {
		if _, err := tx.exec(ctx, `INSERT INTO visit_exception_assignee (visit_id, occurrence_start, user_id) VALUES (?, ?, ?)`,
			e.VisitID, UTC(e.OccurrenceStart), u); err != nil {
			return fmt.Errorf("insert occurrence assignee: %w", err)
		}
	}
	return nil
}

// AddVisitHistory keeps version of visit visitID as snapshot.
func (tx *Tx) AddVisitHistory(ctx context.Context, visitID string, version int64, by string, at time.Time, snapshot []byte) error {
	_, err := tx.exec(ctx, `INSERT INTO visit_history (visit_id, version, changed_by, changed_at, snapshot) VALUES (?, ?, ?, ?, ?)`,
		visitID, version, by, UTC(at), string(snapshot))
	if err != nil {
		return fmt.Errorf("insert visit history: %w", err)
	}
	return nil
}

// VisitHistory lists every version of a visit, oldest first.
func (tx *Tx) VisitHistory(ctx context.Context, visitID string) ([]VisitHistoryEntry, error) {
	out := []VisitHistoryEntry{}
	err := tx.sel(ctx, &out, `SELECT version, changed_by, changed_at, snapshot FROM visit_history WHERE visit_id = ? ORDER BY version`, visitID)
	if err != nil {
		return nil, fmt.Errorf("visit history: %w", err)
	}
	return out, nil
}

// VisitSnapshot returns version version of visit visitID as it was kept
// (the API's form of that version, as JSON), or ErrNotFound.
func (tx *Tx) VisitSnapshot(ctx context.Context, visitID string, version int64) (string, error) {
	var snap string
	err := tx.get(ctx, &snap, `SELECT snapshot FROM visit_history WHERE visit_id = ? AND version = ?`, visitID, version)
	return snap, err
}

// VisitPatientID returns the patient of visit id, or ErrNotFound. It does
// not check access: callers decide on that patient next.
func (tx *Tx) VisitPatientID(ctx context.Context, id string) (string, error) {
	var p string
	err := tx.get(ctx, &p, `SELECT patient_id FROM visit WHERE id = ?`, id)
	return p, err
}

// Visit returns visit id with assignees and exceptions, or ErrNotFound.
func (tx *Tx) Visit(ctx context.Context, id string) (Visit, error) {
	vs, err := tx.visits(ctx, `v.id = ?`, id)
	if err != nil {
		return Visit{}, err
	}
	if len(vs) == 0 {
		return Visit{}, ErrNotFound
	}
	return vs[0], nil
}

// VisitsByIDs returns the visits of ids that exist, in start order: a
// pull's page or a patient's snapshot in four statements, not four for
// each visit.
func (tx *Tx) VisitsByIDs(ctx context.Context, ids []string) ([]Visit, error) {
	if len(ids) == 0 {
		return []Visit{}, nil
	}
	return tx.visits(ctx, `v.id IN `+tx.inList(), jsonList(ids))
}

// overlapping selects the visits of who (a condition on the visit v, with
// its arguments) whose series can overlap [from, to), and those with an
// occurrence moved into it. Each part is bounded by the range's start, not
// by the history before it: a visit overlaps when it ends after from and
// starts before to, and the walk is the one on series_end (visit_patient_end,
// migration 28), which reads the visits ending after from; the walk on
// starts_at read every visit of the patients that started before to, their
// whole history. A moved occurrence likewise ends after from
// (visit_exception_moved_end). The two parts are a UNION so that each gets
// its own index walk (as one OR, neither bound could drive).
func (tx *Tx) overlapping(who string, whoArgs []any, from, to time.Time) (string, []any) {
	startsBefore := `v.starts_at < ?`
	if tx.engine == SQLite {
		// The unary + keeps SQLite (without statistics) from walking
		// visit_patient_time's starts_at < to, the whole history, when
		// visit_patient_end's series_end > from is the bounded walk.
		startsBefore = `+v.starts_at < ?`
	}
	where := `v.id IN (SELECT v.id FROM visit v WHERE ` + who + ` AND v.series_end > ? AND ` + startsBefore + `
		UNION SELECT v.id FROM visit v WHERE ` + who + ` AND v.id IN (SELECT e.visit_id FROM visit_exception e WHERE e.ends_at > ? AND e.starts_at < ?))`
	args := append(append([]any{}, whoArgs...), UTC(from), UTC(to))
	args = append(append(args, whoArgs...), UTC(from), UTC(to))
	return where, args
}

// PatientVisits returns the visits of a patient that can overlap
// [from, to); the caller expands series into occurrences.
func (tx *Tx) PatientVisits(ctx context.Context, patientID string, from, to time.Time) ([]Visit, error) {
	where, args := tx.overlapping(`v.patient_id = ?`, []any{patientID}, from, to)
	return tx.visits(ctx, where, args...)
}

// reachable limits visits to patients whose care team userID is on under
// an active consent; the caller still decides each patient with
// care.PatientAccess. The member's patients drive (IN, on the visits'
// patient index): as a correlated EXISTS it was checked on every visit of
// the network (SQLite: SCAN v), 95 ms for a month of a 76-patient caseload
// among 50,000 visits, growing with the network's visits, not the caller's.
const reachable = `v.patient_id IN (SELECT tm.patient_id FROM team_member tm WHERE tm.user_id = ? AND tm.removed_at IS NULL)
	AND EXISTS (SELECT 1 FROM consent c WHERE c.patient_id = v.patient_id AND c.withdrawn_at IS NULL)`

// AssignedVisits returns the visits userID is assigned to (the series, or
// as a substitute one of its occurrences), of patients whose team they are
// on under an active consent, that can overlap [from, to). The caller
// keeps the occurrences that are userID's. The caseload's visits in the
// range drive, each checked for userID's assignment: driven by the
// assignments, the walk read every visit userID was ever assigned to.
func (tx *Tx) AssignedVisits(ctx context.Context, userID string, from, to time.Time) ([]Visit, error) {
	who := reachable + ` AND (EXISTS (SELECT 1 FROM visit_assignee a WHERE a.visit_id = v.id AND a.user_id = ?)
		OR EXISTS (SELECT 1 FROM visit_exception_assignee s WHERE s.visit_id = v.id AND s.user_id = ?))`
	where, args := tx.overlapping(who, []any{userID, userID, userID}, from, to)
	return tx.visits(ctx, where, args...)
}

// TeamVisits returns every visit of the patients whose team userID is on
// under an active consent, that can overlap [from, to).
func (tx *Tx) TeamVisits(ctx context.Context, userID string, from, to time.Time) ([]Visit, error) {
	where, args := tx.overlapping(reachable, []any{userID}, from, to)
	return tx.visits(ctx, where, args...)
}

func (tx *Tx) visits(ctx context.Context, where string, args ...any) ([]Visit, error) {
	rows := []visitRow{}
	if err := tx.sel(ctx, &rows, `SELECT `+visitColumns+` FROM visit v WHERE `+where+` ORDER BY v.starts_at, v.id`, args...); err != nil {
		return nil, fmt.Errorf("select visits: %w", err)
	}
	if len(rows) == 0 {
		return []Visit{}, nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var assignees []struct {
		VisitID string `db:"visit_id"`
		UserID  string `db:"user_id"`
	}
	if err := tx.sel(ctx, &assignees, `SELECT visit_id, user_id FROM visit_assignee WHERE visit_id IN `+tx.inList()+` ORDER BY user_id`, jsonList(ids)); err != nil {
		return nil, fmt.Errorf("select visit assignees: %w", err)
	}
	var exceptions []VisitException
	if err := tx.sel(ctx, &exceptions, `SELECT visit_id, occurrence_start, starts_at, ends_at, status, note, record_id, updated_at, updated_by
		FROM visit_exception WHERE visit_id IN `+tx.inList()+` ORDER BY occurrence_start`, jsonList(ids)); err != nil {
		return nil, fmt.Errorf("select visit exceptions: %w", err)
	}
	var substitutes []struct {
		VisitID         string    `db:"visit_id"`
		OccurrenceStart time.Time `db:"occurrence_start"`
		UserID          string    `db:"user_id"`
	}
	if err := tx.sel(ctx, &substitutes, `SELECT visit_id, occurrence_start, user_id FROM visit_exception_assignee WHERE visit_id IN `+tx.inList()+`
		ORDER BY occurrence_start, user_id`, jsonList(ids)); err != nil {
		return nil, fmt.Errorf("select occurrence assignees: %w", err)
	}
	out := make([]Visit, len(rows))
	index := map[string]int{}
	for i, r := range rows {
		v := Visit{ID: r.ID, PatientID: r.PatientID, Kind: r.Kind, StartsAt: r.StartsAt, EndsAt: r.EndsAt, AllDay: r.AllDay, Note: r.Note,
			Status: r.Status, RecordID: r.RecordID.String, SeriesEnd: r.SeriesEnd, Version: r.Version, CreatedAt: r.CreatedAt,
			CreatedBy: r.CreatedBy, UpdatedAt: r.UpdatedAt, UpdatedBy: r.UpdatedBy, AssigneeIDs: []string{}}
		if r.Recurrence.Valid {
			v.Recurrence = &care.Recurrence{}
			if err := json.Unmarshal([]byte(r.Recurrence.String), v.Recurrence); err != nil {
				return nil, fmt.Errorf("visit %s recurrence: %w", r.ID, err)
			}
		}
		out[i] = v
		index[r.ID] = i
	}
	for _, a := range assignees {
		v := &out[index[a.VisitID]]
		v.AssigneeIDs = append(v.AssigneeIDs, a.UserID)
	}
	for _, e := range exceptions {
		for _, a := range substitutes {
			if a.VisitID == e.VisitID && a.OccurrenceStart.Equal(e.OccurrenceStart) {
				e.AssigneeIDs = append(e.AssigneeIDs, a.UserID)
			}
		}
		v := &out[index[e.VisitID]]
		v.Exceptions = append(v.Exceptions, e)
	}
	for i := range out {
		sort.Strings(out[i].AssigneeIDs)
	}
	return out, nil
}

func nullStr(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
