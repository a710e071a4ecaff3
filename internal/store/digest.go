package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"tsunagu/internal/care"
)

// DigestSeen returns when user userID last looked at their digest (the
// "until" they confirmed), and false when they never did.
func (tx *Tx) DigestSeen(ctx context.Context, userID string) (time.Time, bool, error) {
	var at time.Time
	err := tx.get(ctx, &at, `SELECT seen_until FROM digest_seen WHERE user_id = ?`, userID)
	if errors.Is(err, ErrNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("digest seen: %w", err)
	}
	return at.UTC(), true, nil
}

// MarkDigestSeen moves user userID's "last looked" to until, only forward:
// an until before the stored one changes nothing. It returns the stored
// moment after the change.
func (tx *Tx) MarkDigestSeen(ctx context.Context, userID string, until, now time.Time) (time.Time, error) {
	_, err := tx.exec(ctx, `INSERT INTO digest_seen (user_id, seen_until, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET seen_until = excluded.seen_until, updated_at = excluded.updated_at
		WHERE excluded.seen_until > digest_seen.seen_until`, userID, UTC(until), UTC(now))
	if err != nil {
		return time.Time{}, fmt.Errorf("mark digest seen: %w", err)
	}
	at, _, err := tx.DigestSeen(ctx, userID)
	return at, err
}

// DigestQuery selects what is new to Viewer: records written after Since
// on ChartPatients (read at the Chart level) and SharedPatients (Shared
// level), as care.RecordScope reads them.
type DigestQuery struct {
	Viewer         care.Viewer
	ChartPatients  []string
	SharedPatients []string
	Since          time.Time
	Limit          int
}

// patientGroups is the "which patients, at which level" condition of a
// query over a caseload, with its arguments; "" when there is none.
func (tx *Tx) patientGroups(v care.Viewer, chart, shared []string) (string, []any) {
	var groups []string
	var args []any
	for _, g := range []struct {
		ids   []string
		level care.Level
	}{{chart, care.Chart}, {shared, care.Shared}} {
		if len(g.ids) == 0 {
			continue
		}
		reads, readsArgs := readsSQL(care.RecordScopeFor(v, g.level))
		groups = append(groups, "(r.patient_id IN "+tx.inList()+" AND "+reads+")")
		args = append(append(args, jsonList(g.ids)), readsArgs...)
	}
	if len(groups) == 0 {
		return "", nil
	}
	return "(" + strings.Join(groups, " OR ") + ")", args
}

// DigestRecords returns up to q.Limit records new to the viewer, newest
// written first: written after q.Since and after the viewer joined the
// patient's team (the history before is not news, as for UnreadCounts),
// and not entered by the viewer themselves (the current version). Only
// records the viewer reads at the given levels are returned.
func (tx *Tx) DigestRecords(ctx context.Context, q DigestQuery) ([]TimelineItem, error) {
	groups, gargs := tx.patientGroups(q.Viewer, q.ChartPatients, q.SharedPatients)
	if groups == "" {
		return []TimelineItem{}, nil
	}
	args := []any{q.Viewer.UserID, q.Viewer.UserID, UTC(q.Since)}
	args = append(append(args, gargs...), q.Viewer.UserID)
	query := `SELECT ` + tx.stubColumns() + ` FROM record r
		JOIN team_member tm ON tm.patient_id = r.patient_id AND tm.user_id = ? AND tm.removed_at IS NULL
		WHERE r.created_at > ? AND r.created_at >= tm.added_at AND ` + groups + `
		AND r.entered_by <> ?
		ORDER BY r.created_at DESC, r.id DESC` + limitSQL(q.Limit)
	stubs, err := tx.stubs(ctx, q.Limit, query, args...)
	if err != nil {
		return nil, fmt.Errorf("digest records: %w", err)
	}
	return tx.resolveRecords(ctx, stubs)
}

// AuthoredInstructions returns the doctor_note records author wrote on
// chartPatients that occurred at or after from and whose current version
// gives an instruction, newest first, up to limit: the candidates for
// instructions still awaiting the team's reading (the caller keeps those
// whose instruction still holds). Notes without an instruction are left out
// in SQL, so a busy doctor's many notes never push a standing instruction
// past the limit.
func (tx *Tx) AuthoredInstructions(ctx context.Context, author care.Viewer, chartPatients []string, from time.Time, limit int) ([]TimelineItem, error) {
	if len(chartPatients) == 0 {
		return []TimelineItem{}, nil
	}
	// The body is the content's JSON; an empty instruction is omitted from it.
	gives := "instr(v.body, ?) > 0"
	if tx.engine == Postgres {
		gives = "strpos(v.body, ?) > 0"
	}
	query := `SELECT ` + tx.stubColumns() + ` FROM record r
		JOIN record_version v ON v.record_id = r.id AND v.version = r.current_version
		WHERE r.author_id = ? AND r.occurred_at >= ? AND r.kind = ? AND r.patient_id IN ` + tx.inList() + ` AND ` + gives + `
		ORDER BY r.occurred_at DESC, r.id DESC` + limitSQL(limit)
	stubs, err := tx.stubs(ctx, limit, query, author.UserID, author.UserID, UTC(from), care.KindDoctorNote, jsonList(chartPatients), `"instruction":`)
	if err != nil {
		return nil, fmt.Errorf("authored instructions: %w", err)
	}
	return tx.resolveRecords(ctx, stubs)
}

// OthersRead is one read, by a physician, of a record another profession
// wrote: what the 在宅医療情報連携加算 calls making use of the team's
// records.
type OthersRead struct {
	RecordID         string    `db:"record_id"`
	Kind             string    `db:"kind"`
	AuthorID         string    `db:"author_id"`
	AuthorName       string    `db:"author_name"`
	AuthorProfession string    `db:"author_profession"`
	OccurredAt       time.Time `db:"occurred_at"`
	ReaderID         string    `db:"reader_id"`
	ReaderName       string    `db:"reader_name"`
	ReaderProfession string    `db:"reader_profession"`
	ReadAt           time.Time `db:"read_at"`
}

// ReadsByPhysicians lists the reads in [from, to) by users of the given
// professions of patient patientID's records written by other
// professions, of the records scope reads, in read order, up to limit.
func (tx *Tx) ReadsByPhysicians(ctx context.Context, patientID string, scope care.RecordScope, professions []string, from, to time.Time, limit int) ([]OthersRead, error) {
	reads, readsArgs := readsSQL(scope)
	args := []any{patientID, UTC(from), UTC(to), jsonList(professions), jsonList(professions)}
	args = append(append(args, readsArgs...), limit)
	out := []OthersRead{}
	err := tx.sel(ctx, &out, `SELECT r.id AS record_id, r.kind, r.author_id, COALESCE(au.name, '') AS author_name, r.author_profession, r.occurred_at,
		rr.user_id AS reader_id, u.name AS reader_name, u.profession AS reader_profession, rr.read_at
		FROM record r JOIN record_read rr ON rr.record_id = r.id JOIN app_user u ON u.id = rr.user_id
		LEFT JOIN app_user au ON au.id = r.author_id
		WHERE r.patient_id = ? AND rr.read_at >= ? AND rr.read_at < ?
		AND u.profession IN `+tx.inList()+` AND r.author_profession NOT IN `+tx.inList()+` AND `+reads+`
		ORDER BY rr.read_at, r.id, rr.user_id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("reads by physicians: %w", err)
	}
	return out, nil
}

// UserNames returns the names of the given users by id (unknown ids are
// left out).
func (tx *Tx) UserNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID   string         `db:"id"`
		Name sql.NullString `db:"name"`
	}
	if err := tx.sel(ctx, &rows, `SELECT id, name FROM app_user WHERE id IN `+tx.inList(), jsonList(ids)); err != nil {
		return nil, fmt.Errorf("user names: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Name.String
	}
	return out, nil
}
