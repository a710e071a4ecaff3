package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"tsunagu/internal/care"
)

// Record is a stored record head: what never changes after creation, and
// the pointer to its newest version.
type Record struct {
	ID               string         `db:"id"`
	PatientID        string         `db:"patient_id"`
	Kind             string         `db:"kind"`
	Chart            bool           `db:"chart"`
	AuthorID         string         `db:"author_id"`
	AuthorFacilityID string         `db:"author_facility_id"`
	AuthorProfession string         `db:"author_profession"`
	VisitID          sql.NullString `db:"visit_id"`
	OccurredAt       time.Time      `db:"occurred_at"`
	CreatedAt        time.Time      `db:"created_at"`
	CurrentVersion   int64          `db:"current_version"`
	RequestHash      string         `db:"request_hash"`
	// SourceMessageID is the team channel message the record was made
	// from, if any.
	SourceMessageID sql.NullString `db:"source_message_id"`
}

// RecordVersion is one insert-only version of a record.
type RecordVersion struct {
	RecordID      string
	Version       int64
	ParentVersion int64 // 0 for the first version
	StaleParent   bool
	Status        string
	Reason        string
	Content       care.RecordContent
	EnteredBy     string
	ConfirmedBy   string    // "" while unconfirmed
	ConfirmedAt   time.Time // zero while unconfirmed
	CreatedAt     time.Time
	// Filled when read: who entered and confirmed it.
	EnteredByName, EnteredByProfession string
	ConfirmedByName                    string
}

// versionRow is how a version is stored: the content split into body,
// vitals and attachment ids, each JSON text.
type versionRow struct {
	RecordID            string         `db:"record_id"`
	Version             int64          `db:"version"`
	ParentVersion       sql.NullInt64  `db:"parent_version"`
	StaleParent         bool           `db:"stale_parent"`
	Status              string         `db:"status"`
	Reason              string         `db:"reason"`
	Body                string         `db:"body"`
	Vitals              sql.NullString `db:"vitals"`
	AttachmentIDs       string         `db:"attachment_ids"`
	EnteredBy           string         `db:"entered_by"`
	ConfirmedBy         sql.NullString `db:"confirmed_by"`
	ConfirmedAt         sql.NullTime   `db:"confirmed_at"`
	CreatedAt           time.Time      `db:"version_created_at"`
	EnteredByName       string         `db:"entered_by_name"`
	EnteredByProfession string         `db:"entered_by_profession"`
	ConfirmedByName     string         `db:"confirmed_by_name"`
}

// recordBody is the part of the content kept in the body column.
type recordBody struct {
	Text        string            `json:"text,omitempty"`
	Fields      care.RecordFields `json:"fields"`
	NextVisitOn string            `json:"next_visit_on,omitempty"`
	PlanChanged bool              `json:"plan_changed,omitempty"`
	CareNotes   string            `json:"care_notes,omitempty"`
}

func toRow(v RecordVersion) (versionRow, error) {
	c := v.Content
	body, err := json.Marshal(recordBody{Text: c.Text, Fields: c.Fields, NextVisitOn: c.NextVisitOn, PlanChanged: c.PlanChanged, CareNotes: c.CareNotes})
	if err != nil {
		return versionRow{}, err
	}
	ids := c.AttachmentIDs
	if ids == nil {
		ids = []string{}
	}
	att, err := json.Marshal(ids)
	if err != nil {
		return versionRow{}, err
	}
	r := versionRow{RecordID: v.RecordID, Version: v.Version, StaleParent: v.StaleParent, Status: v.Status, Reason: v.Reason,
		Body: string(body), AttachmentIDs: string(att), EnteredBy: v.EnteredBy, CreatedAt: UTC(v.CreatedAt)}
	if v.ParentVersion > 0 {
		r.ParentVersion = sql.NullInt64{Int64: v.ParentVersion, Valid: true}
	}
	if v.ConfirmedBy != "" {
		r.ConfirmedBy = sql.NullString{String: v.ConfirmedBy, Valid: true}
	}
	r.ConfirmedAt = v.confirmedAt()
	if c.Vitals != nil {
		vit, err := json.Marshal(c.Vitals)
		if err != nil {
			return versionRow{}, err
		}
		r.Vitals = sql.NullString{String: string(vit), Valid: true}
	}
	return r, nil
}

func (r versionRow) version() (RecordVersion, error) {
	v := RecordVersion{RecordID: r.RecordID, Version: r.Version, ParentVersion: r.ParentVersion.Int64, StaleParent: r.StaleParent,
		Status: r.Status, Reason: r.Reason, EnteredBy: r.EnteredBy, ConfirmedBy: r.ConfirmedBy.String, ConfirmedAt: r.ConfirmedAt.Time, CreatedAt: r.CreatedAt,
		EnteredByName: r.EnteredByName, EnteredByProfession: r.EnteredByProfession, ConfirmedByName: r.ConfirmedByName}
	var b recordBody
	if err := decodeRecordBody(r.Body, &b); err != nil {
		return v, fmt.Errorf("record %s v%d body: %w", r.RecordID, r.Version, err)
	}
	v.Content = care.RecordContent{Text: b.Text, Fields: b.Fields, NextVisitOn: b.NextVisitOn, PlanChanged: b.PlanChanged, CareNotes: b.CareNotes}
	if r.AttachmentIDs == "[]" {
		v.Content.AttachmentIDs = []string{} // as json.Unmarshal gives it, without its cost
	} else if err := json.Unmarshal([]byte(r.AttachmentIDs), &v.Content.AttachmentIDs); err != nil {
		return v, fmt.Errorf("record %s v%d attachment ids: %w", r.RecordID, r.Version, err)
	}
	if r.Vitals.Valid {
		v.Content.Vitals = &care.Vitals{}
		if err := json.Unmarshal([]byte(r.Vitals.String), v.Content.Vitals); err != nil {
			return v, fmt.Errorf("record %s v%d vitals: %w", r.RecordID, r.Version, err)
		}
	}
	return v, nil
}

const recordColumns = `r.id, r.patient_id, r.kind, r.chart, r.author_id, r.author_facility_id, r.author_profession, r.visit_id, r.occurred_at, r.created_at, r.current_version, r.request_hash, r.source_message_id`

const versionColumns = `v.record_id, v.version, v.parent_version, v.stale_parent, v.status, v.reason, v.body, v.vitals, v.attachment_ids, v.entered_by, v.confirmed_by, v.confirmed_at, v.created_at AS version_created_at`

// CreateRecord inserts record r with its first version v. The caller checks
// first whether the id is a record already (Record, a retry); an id that
// names any other entity, or a concurrent insert of the same id, gives
// ErrIDTaken.
func (tx *Tx) CreateRecord(ctx context.Context, r Record, v RecordVersion) error {
	if err := tx.claimID(ctx, kindRecord, r.ID); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO record (id, patient_id, kind, chart, author_id, author_facility_id, author_profession, visit_id, occurred_at, created_at, current_version, confirmed_at, entered_by, request_hash, source_message_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.PatientID, r.Kind, r.Chart, r.AuthorID, r.AuthorFacilityID, r.AuthorProfession, r.VisitID, UTC(r.OccurredAt), UTC(r.CreatedAt), v.Version,
		v.confirmedAt(), v.EnteredBy, r.RequestHash, r.SourceMessageID)
	if isPrimaryKeyViolation(err) {
		return ErrIDTaken
	}
	if err != nil {
		return fmt.Errorf("insert record: %w", err)
	}
	if err := tx.insertVersion(ctx, v); err != nil {
		return err
	}
	return tx.indexLater(ctx, r.ID, r.PatientID, v.Content, v.Status)
}

// confirmedAt is the version's confirmation time as stored: NULL while
// unconfirmed.
func (v RecordVersion) confirmedAt() sql.NullTime {
	if v.ConfirmedBy == "" {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: UTC(v.ConfirmedAt), Valid: true}
}

func (tx *Tx) insertVersion(ctx context.Context, v RecordVersion) error {
	row, err := toRow(v)
	if err != nil {
		return fmt.Errorf("encode record version: %w", err)
	}
	_, err = tx.exec(ctx, `INSERT INTO record_version (record_id, version, parent_version, stale_parent, status, reason, body, vitals, attachment_ids, entered_by, confirmed_by, confirmed_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		row.RecordID, row.Version, row.ParentVersion, row.StaleParent, row.Status, row.Reason, row.Body, row.Vitals, row.AttachmentIDs, row.EnteredBy, row.ConfirmedBy, row.ConfirmedAt, row.CreatedAt)
	if isUniqueViolation(err) {
		return care.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("insert record version: %w", err)
	}
	return tx.citeAttachments(ctx, v.RecordID, v.Content.AttachmentIDs)
}

// AddRecordVersion appends v (whose Version must be the current one + 1)
// and moves the record's pointer to it (with the version's confirmed_at
// and entered_by, which the record row keeps too): the one UPDATE records
// ever see besides the confirmation's.
// A concurrent amendment that took the number first gives care.ErrConflict.
func (tx *Tx) AddRecordVersion(ctx context.Context, v RecordVersion) error {
	if err := tx.insertVersion(ctx, v); err != nil {
		return err
	}
	n, err := tx.exec(ctx, `UPDATE record SET current_version = ?, confirmed_at = ?, entered_by = ? WHERE id = ? AND current_version = ?`,
		v.Version, v.confirmedAt(), v.EnteredBy, v.RecordID, v.Version-1)
	if err != nil {
		return fmt.Errorf("advance record version: %w", err)
	}
	if n != 1 {
		return care.ErrConflict
	}
	return tx.indexLater(ctx, v.RecordID, "", v.Content, v.Status)
}

// ConfirmRecordVersion stamps version of record recordID confirmed by by at
// at. The stamp is written once, from NULL, and only while version is the
// record's current version: the head row, which keeps the current
// version's confirmed_at too, is written first, which on PostgreSQL holds
// an amendment's pointer update until this commits (SQLite already
// serialises writers). A version that is no longer current, or one already
// confirmed, gives care.ErrConflict and changes nothing.
func (tx *Tx) ConfirmRecordVersion(ctx context.Context, recordID string, version int64, by string, at time.Time) error {
	n, err := tx.exec(ctx, `UPDATE record SET confirmed_at = ? WHERE id = ? AND current_version = ?`, UTC(at), recordID, version)
	if err != nil {
		return fmt.Errorf("lock record head: %w", err)
	}
	if n != 1 {
		return care.ErrConflict
	}
	n, err = tx.exec(ctx, `UPDATE record_version SET confirmed_by = ?, confirmed_at = ? WHERE record_id = ? AND version = ? AND confirmed_by IS NULL`,
		by, UTC(at), recordID, version)
	if err != nil {
		return fmt.Errorf("confirm record version: %w", err)
	}
	if n != 1 {
		return care.ErrConflict
	}
	return nil
}

// readsSQL is care.RecordScope.Reads in SQL, for the record row aliased r:
// the one translation of that rule, which every query listing records
// applies. Chart kinds need the Chart level; a chart record of an author
// whose facility discloses shared_only is read only by that facility's
// staff and by its author.
func readsSQL(s care.RecordScope) (string, []any) {
	switch {
	case s.Level < care.Shared:
		return "1 = 0", nil
	case s.Level < care.Chart:
		return "r.chart = ?", []any{false}
	}
	return `(r.chart = ? OR r.author_id = ? OR r.author_facility_id = ?
		OR r.author_facility_id NOT IN (SELECT f.id FROM facility f WHERE f.disclosure = ?))`,
		[]any{false, s.ViewerID, s.ViewerFacilityID, care.DisclosureSharedOnly}
}

// disclosureNarrowsSQL is true when a facility other than the viewer's
// discloses shared_only, i.e. when readsSQL at the Chart level could hide
// anything from them. It is uncorrelated, so the database evaluates it once
// per query: where it is false (no facility narrows its disclosure, the
// common case) a per-row check can be skipped.
func disclosureNarrowsSQL(s care.RecordScope) (string, []any) {
	return `EXISTS (SELECT 1 FROM facility f WHERE f.disclosure = ? AND f.id <> ?)`, []any{care.DisclosureSharedOnly, s.ViewerFacilityID}
}

// Record returns the head of record id, or ErrNotFound. It does not check
// access: callers decide on r.PatientID first.
func (tx *Tx) Record(ctx context.Context, id string) (Record, error) {
	var r Record
	err := tx.get(ctx, &r, `SELECT `+recordColumns+` FROM record r WHERE r.id = ?`, id)
	return r, err
}

// RecordVersions returns every version of record id, oldest first, with
// the names of who entered and confirmed each.
func (tx *Tx) RecordVersions(ctx context.Context, id string) ([]RecordVersion, error) {
	var rows []versionRow
	err := tx.sel(ctx, &rows, `SELECT `+versionColumns+`, COALESCE(eu.name, '') AS entered_by_name, COALESCE(eu.profession, '') AS entered_by_profession,
		COALESCE(cu.name, '') AS confirmed_by_name
		FROM record_version v LEFT JOIN app_user eu ON eu.id = v.entered_by LEFT JOIN app_user cu ON cu.id = v.confirmed_by
		WHERE v.record_id = ? ORDER BY v.version`, id)
	if err != nil {
		return nil, fmt.Errorf("record versions: %w", err)
	}
	out := make([]RecordVersion, 0, len(rows))
	for _, r := range rows {
		v, err := r.version()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// MarkRecordRead records that userID read record recordID; reading again
// keeps the first time. It reports whether this was the first read.
func (tx *Tx) MarkRecordRead(ctx context.Context, recordID, userID string, at time.Time) (bool, error) {
	n, err := tx.exec(ctx, `INSERT INTO record_read (record_id, user_id, read_at) VALUES (?, ?, ?) ON CONFLICT (record_id, user_id) DO NOTHING`,
		recordID, userID, UTC(at))
	if err != nil {
		return false, fmt.Errorf("mark record read: %w", err)
	}
	return n == 1, nil
}

// Reader is one read receipt with the reader's name for display.
type Reader struct {
	UserID     string    `db:"user_id"`
	Name       string    `db:"name"`
	Profession string    `db:"profession"`
	ReadAt     time.Time `db:"read_at"`
}

// RecordReaders lists who read record id, first reader first.
func (tx *Tx) RecordReaders(ctx context.Context, id string) ([]Reader, error) {
	out := []Reader{}
	err := tx.sel(ctx, &out, `SELECT rr.user_id, u.name, u.profession, rr.read_at FROM record_read rr JOIN app_user u ON u.id = rr.user_id
		WHERE rr.record_id = ? ORDER BY rr.read_at, rr.user_id`, id)
	if err != nil {
		return nil, fmt.Errorf("record readers: %w", err)
	}
	return out, nil
}

// TimelineKey is a position in a patient's timeline, which runs newest
// first by (occurred_at, id).
type TimelineKey struct {
	OccurredAt time.Time
	ID         string
}

// TimelineQuery selects a page of a patient's timeline. Scope is what the
// viewer reads (chart kinds, facility disclosure), applied in SQL; its
// ViewerID also gives ReadByMe. Kinds empty means every kind. From is
// inclusive, To exclusive.
type TimelineQuery struct {
	PatientID  string
	Scope      care.RecordScope
	Kinds      []string
	Profession string
	From, To   time.Time
	Before     *TimelineKey
	Limit      int
	// Skip, if set, names the records the caller has in a form of its
	// own: they come back Skipped, unread, and the others are not kept in
	// the store's cache (resolveSkipping).
	Skip func(RecordKey) bool
}

// TimelineItem is a record with its current version and its read state.
type TimelineItem struct {
	Record
	Current   RecordVersion
	ReadCount int
	ReadByMe  bool
	// Skipped: the caller's TimelineQuery.Skip took it; only its key,
	// OccurredAt and read state are filled.
	Skipped bool
}

// Timeline returns up to q.Limit records of a patient, newest first.
func (tx *Tx) Timeline(ctx context.Context, q TimelineQuery) ([]TimelineItem, error) {
	reads, readsArgs := readsSQL(q.Scope)
	where := []string{"r.patient_id = ?", reads}
	args := append([]any{q.Scope.ViewerID, q.PatientID}, readsArgs...)
	if len(q.Kinds) > 0 {
		where = append(where, "r.kind IN "+tx.inList())
		args = append(args, jsonList(q.Kinds))
	}
	if q.Profession != "" {
		where = append(where, "r.author_profession = ?")
		args = append(args, q.Profession)
	}
	if !q.From.IsZero() {
		where = append(where, "r.occurred_at >= ?")
		args = append(args, UTC(q.From))
	}
	if !q.To.IsZero() {
		where = append(where, "r.occurred_at < ?")
		args = append(args, UTC(q.To))
	}
	if q.Before != nil {
		where = append(where, "(r.occurred_at, r.id) < (?, ?)")
		args = append(args, UTC(q.Before.OccurredAt), q.Before.ID)
	}
	// The page is chosen first, on the timeline index alone, and only its
	// rows look up their read state: the plan stays a short backward index
	// scan whatever the planner knows of the tables.
	query := `SELECT ` + tx.timelineColumns() + `
		FROM (SELECT * FROM record r WHERE ` + strings.Join(where, " AND ") + `
			ORDER BY r.occurred_at DESC, r.id DESC` + limitSQL(q.Limit) + `) r
		ORDER BY r.occurred_at DESC, r.id DESC`
	stubs, err := tx.stubs(ctx, q.Limit, query, args...)
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	return tx.resolveSkipping(ctx, stubs, q.Skip, q.Skip == nil)
}

// UnreadCounts counts, per patient, the records by others that viewer v has
// not read, of those v reads: at the Chart level on chartPatients, at the
// Shared level on sharedPatients (care.RecordScope). Only records written
// since v's current membership of the patient's team began count: what
// came before is the history a new member reads, not news (they were never
// notified of it). Patients with nothing unread are left out.
func (tx *Tx) UnreadCounts(ctx context.Context, v care.Viewer, chartPatients, sharedPatients []string) (map[string]int, error) {
	out := map[string]int{}
	userID := v.UserID
	for _, g := range []struct {
		ids   []string
		level care.Level
	}{{chartPatients, care.Chart}, {sharedPatients, care.Shared}} {
		if len(g.ids) == 0 {
			continue
		}
		reads, readsArgs := readsSQL(care.RecordScopeFor(v, g.level))
		q := `SELECT r.patient_id, COUNT(*) AS unread FROM record r
			JOIN team_member tm ON tm.patient_id = r.patient_id AND tm.user_id = ? AND tm.removed_at IS NULL
			WHERE r.patient_id IN ` + tx.inList() + ` AND r.created_at >= tm.added_at AND ` + reads
		args := append([]any{userID, jsonList(g.ids)}, readsArgs...)
		// Not a record whose current version userID entered: they wrote what
		// it says (their own, or one entered for someone else, 代行入力). A
		// record entered for them, or amended by another, is news to them.
		// Every column the count reads of the record is in record_news
		// (migration 28): the walk reads that index and record_read alone.
		q += ` AND r.entered_by <> ?
			AND NOT EXISTS (SELECT 1 FROM record_read rr WHERE rr.record_id = r.id AND rr.user_id = ?)
			GROUP BY r.patient_id`
		args = append(args, userID, userID)
		var rows []struct {
			PatientID string `db:"patient_id"`
			Unread    int    `db:"unread"`
		}
		if err := tx.sel(ctx, &rows, q, args...); err != nil {
			return nil, fmt.Errorf("unread counts: %w", err)
		}
		for _, r := range rows {
			out[r.PatientID] = r.Unread
		}
	}
	return out, nil
}

// RecordsByIDs returns those of the given records that scope reads, with
// their current versions and read state for scope.ViewerID, in one query
// (the pull sends many at once). Ids it leaves out are gone or hidden.
// Its caller keeps the records' JSON (api/pulljson.go), so the records
// it decodes are not kept in the store's cache (resolveSkipping).
func (tx *Tx) RecordsByIDs(ctx context.Context, scope care.RecordScope, ids []string) ([]TimelineItem, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	stubs, err := tx.recordStubsByIDs(ctx, scope, ids)
	if err != nil {
		return nil, err
	}
	return tx.resolveSkipping(ctx, stubs, nil, false)
}
