package store

// Bulk writes: the creates of record.go and visit.go for many rows at
// once, for the generators that fill a database through the store
// (scripts/prefecture). They write exactly the rows the one-at-a-time
// methods write — the same id claims, record and version rows (toRow),
// citations, search index (indexRecord) and assignees — but several rows
// a statement, which on SQLite spares most of a statement's fixed cost and
// on PostgreSQL most of the round trips.

import (
	"context"
	"fmt"
	"strings"

	"tsunagu/internal/care"
)

// bulkParams is how many parameters a bulk statement binds at most: far
// below both engines' limits (SQLite 32,766, PostgreSQL 65,535), and
// large enough that a statement's fixed cost is spread over many rows.
const bulkParams = 2048

// bulkInsert runs head (an INSERT … VALUES without its rows) followed by
// rows of ncols values, as many rows a statement as bulkParams allows,
// with tail (an ON CONFLICT clause or "") after the rows. It returns the
// rows it inserted. The statements' texts are few (one a chunk size), so
// they stay prepared (Tx.stmt).
func (tx *Tx) bulkInsert(ctx context.Context, head, tail string, ncols int, rows [][]any) (int64, error) {
	return tx.insertChunks(ctx, head, tail, ncols, max(1, bulkParams/ncols), rows)
}

// claimIDs is claimID for many ids of one kind: ErrIDTaken when any of
// them names an entity already (the transaction is then to be rolled
// back: the others are claimed).
func (tx *Tx) claimIDs(ctx context.Context, kind string, ids []string) error {
	rows := make([][]any, len(ids))
	for i, id := range ids {
		rows[i] = []any{id, kind}
	}
	n, err := tx.bulkInsert(ctx, `INSERT INTO entity_id (id, kind)`, `ON CONFLICT (id) DO NOTHING`, 2, rows)
	if err != nil {
		return fmt.Errorf("claim %s ids: %w", kind, err)
	}
	if n != int64(len(ids)) {
		return ErrIDTaken
	}
	return nil
}

// CreateRecords is CreateRecord for many records: record rs[i] with its
// first version vs[i]. Unlike CreateRecord, an id already taken fails
// the whole call (ErrIDTaken) and leaves rows written: the caller rolls
// the transaction back.
func (tx *Tx) CreateRecords(ctx context.Context, rs []Record, vs []RecordVersion) error {
	if len(rs) != len(vs) {
		return fmt.Errorf("create records: %d records, %d versions", len(rs), len(vs))
	}
	if len(rs) == 0 {
		return nil
	}
	ids := make([]string, len(rs))
	rows := make([][]any, len(rs))
	for i, r := range rs {
		v := vs[i]
		ids[i] = r.ID
		rows[i] = []any{r.ID, r.PatientID, r.Kind, r.Chart, r.AuthorID, r.AuthorFacilityID, r.AuthorProfession, r.VisitID, UTC(r.OccurredAt), UTC(r.CreatedAt), v.Version,
			v.confirmedAt(), v.EnteredBy, r.RequestHash, r.SourceMessageID}
	}
	if err := tx.claimIDs(ctx, kindRecord, ids); err != nil {
		return err
	}
	if _, err := tx.bulkInsert(ctx, `INSERT INTO record (id, patient_id, kind, chart, author_id, author_facility_id, author_profession, visit_id, occurred_at, created_at, current_version, confirmed_at, entered_by, request_hash, source_message_id)`,
		"", 15, rows); err != nil {
		if isPrimaryKeyViolation(err) {
			return ErrIDTaken
		}
		return fmt.Errorf("insert records: %w", err)
	}
	if err := tx.insertVersions(ctx, vs); err != nil {
		return err
	}
	return tx.indexNewRecords(ctx, rs, vs)
}

// indexNewRecords indexes records just inserted, with their first
// versions, for search. On SQLite the texts and the terms are written many
// records a statement: FTS5 flushes its pending terms at every statement's
// savepoint, so one record a statement would make a segment a record and
// then merge them (41 % of a bulk fill's CPU). PostgreSQL indexes each
// record with indexRecord.
func (tx *Tx) indexNewRecords(ctx context.Context, rs []Record, vs []RecordVersion) error {
	if tx.engine != SQLite {
		for i, r := range rs {
			if err := tx.indexRecord(ctx, r.ID, r.PatientID, vs[i].Content, vs[i].Status); err != nil {
				return err
			}
		}
		return nil
	}
	texts := make([]string, len(rs))
	for i := range rs {
		if vs[i].Status != care.RecordEnteredInError {
			texts[i] = vs[i].Content.SearchText()
		}
	}
	keys := make(map[string]int64, len(rs))
	const per = bulkParams / 2
	for k := 0; k < len(rs); k += per {
		end := min(len(rs), k+per)
		var b strings.Builder
		b.WriteString(`INSERT INTO record_search (record_id, body) VALUES `)
		args := make([]any, 0, 2*(end-k))
		for j := k; j < end; j++ {
			if j > k {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?)")
			args = append(args, rs[j].ID, texts[j])
		}
		b.WriteString(" RETURNING record_id, key")
		var got []struct {
			RecordID string `db:"record_id"`
			Key      int64  `db:"key"`
		}
		if err := tx.sel(ctx, &got, b.String(), args...); err != nil {
			return fmt.Errorf("index records text: %w", err)
		}
		for _, g := range got {
			keys[g.RecordID] = g.Key
		}
	}
	if len(keys) != len(rs) {
		return fmt.Errorf("index records: %d keys for %d records", len(keys), len(rs))
	}
	var fts [][]any
	for i, r := range rs {
		if terms := indexTerms(tx.engine, r.PatientID, texts[i]); len(terms) > 0 {
			fts = append(fts, []any{keys[r.ID], strings.Join(terms, " ")})
		}
	}
	_, err := tx.bulkInsert(ctx, `INSERT INTO record_gram_fts (rowid, terms)`, "", 2, fts)
	return err
}

// insertVersions is insertVersion for many versions.
func (tx *Tx) insertVersions(ctx context.Context, vs []RecordVersion) error {
	rows := make([][]any, len(vs))
	for i, v := range vs {
		row, err := toRow(v)
		if err != nil {
			return fmt.Errorf("encode record version: %w", err)
		}
		rows[i] = []any{row.RecordID, row.Version, row.ParentVersion, row.StaleParent, row.Status, row.Reason, row.Body, row.Vitals, row.AttachmentIDs, row.EnteredBy,
			row.ConfirmedBy, row.ConfirmedAt, row.CreatedAt}
	}
	if _, err := tx.bulkInsert(ctx, `INSERT INTO record_version (record_id, version, parent_version, stale_parent, status, reason, body, vitals, attachment_ids, entered_by, confirmed_by, confirmed_at, created_at)`,
		"", 13, rows); err != nil {
		return fmt.Errorf("insert record versions: %w", err)
	}
	for _, v := range vs {
		if err := tx.citeAttachments(ctx, v.RecordID, v.Content.AttachmentIDs); err != nil {
			return err
		}
	}
	return nil
}

// CreateVisits is CreateVisit for many visits, with their assignees. An
// id already taken fails the whole call (ErrIDTaken), as CreateRecords.
func (tx *Tx) CreateVisits(ctx context.Context, vs []Visit) error {
	if len(vs) == 0 {
		return nil
	}
	ids := make([]string, len(vs))
	rows := make([][]any, len(vs))
	var assignees [][]any
	for i, v := range vs {
		rec, err := recurrenceJSON(v.Recurrence)
		if err != nil {
			return err
		}
		ids[i] = v.ID
		rows[i] = []any{v.ID, v.PatientID, v.Kind, UTC(v.StartsAt), UTC(v.EndsAt), v.AllDay, v.Note, v.Status, nullStr(v.RecordID), rec,
			UTC(v.SeriesEnd), v.Version, UTC(v.CreatedAt), v.CreatedBy, UTC(v.UpdatedAt), v.UpdatedBy}
		for _, u := range v.AssigneeIDs {
			assignees = append(assignees, []any{v.ID, u})
		}
	}
	if err := tx.claimIDs(ctx, kindVisit, ids); err != nil {
		return err
	}
	if _, err := tx.bulkInsert(ctx, `INSERT INTO visit (id, patient_id, kind, starts_at, ends_at, all_day, note, status, record_id, recurrence,
		series_end, version, created_at, created_by, updated_at, updated_by)`, "", 16, rows); err != nil {
		if isPrimaryKeyViolation(err) {
			return ErrIDTaken
		}
		return fmt.Errorf("insert visits: %w", err)
	}
	if _, err := tx.bulkInsert(ctx, `INSERT INTO visit_assignee (visit_id, user_id)`, "", 2, assignees); err != nil {
		return fmt.Errorf("insert visit assignees: %w", err)
	}
	return nil
}
