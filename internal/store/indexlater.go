package store

import (
	"context"
	"fmt"
	"strings"

	"tsunagu/internal/care"
)

// Indexing a write's record at the end of its group (SQLite).
//
// FTS5 keeps the terms of a transaction's inserts in memory and writes
// them out as a new segment of the index whenever a savepoint opens or is
// released: every SAVEPOINT and RELEASE of the group commit (one per write
// and one per mutation) and every statement that needs a statement
// journal. A record indexed where it was written thus made a segment of
// its own, written to the log and soon merged into the next level, and
// each merge rewrote it again (the flushes and merges were about a tenth
// of a write's CPU on the anchor set). The writes of a SQLite group queue
// their records' indexing instead, and the group indexes them after every
// other deferred append, just before its commit: its records' terms make
// one segment, flushed once, by the commit.
//
// A savepoint that rolls back drops what it queued (Deferred.Truncate), so
// a failed write leaves nothing in the index, as before. Nothing in a
// write's transaction reads the index (search runs in read transactions),
// so indexing later within it changes no answer. PostgreSQL indexes each
// record where it is written: its index has no such flush, and on a
// shared group transaction the row lock of record_search stays beside the
// record's.

// rankIndex flushes the queued indexing after the logs: no statement with
// a savepoint follows it, so its terms are written out by the commit alone.
const rankIndex = RankAudit + 1

type indexLaterKey struct{}

type indexItem struct {
	id, patient string // patient "" when the writer did not know it
	content     care.RecordContent
	status      string
}

// indexQueue is a SQLite group's records to index, in the order written.
type indexQueue struct{ items []indexItem }

func (q *indexQueue) Len() int       { return len(q.items) }
func (q *indexQueue) Truncate(n int) { q.items = q.items[:n] }

// Flush indexes each queued record once, with the content its last write
// in the group gave it (an entry is rewritten whole, so an earlier
// version's would only be replaced): first every record's text
// (indexRecordText), then all their terms in one statement. A statement
// that opens a savepoint of its own (the text's INSERT … RETURNING does)
// would otherwise write out the terms inserted before it as a segment.
func (q *indexQueue) Flush(ctx context.Context, tx *Tx) error {
	if len(q.items) == 0 {
		return nil
	}
	last := make(map[string]int, len(q.items))
	for i, it := range q.items {
		last[it.id] = i
	}
	var fts [][]any
	for i, it := range q.items {
		if last[it.id] != i {
			continue
		}
		patient := it.patient
		if patient == "" {
			if err := tx.get(ctx, &patient, `SELECT patient_id FROM record WHERE id = ?`, it.id); err != nil {
				return fmt.Errorf("index record: %w", err)
			}
		}
		text := indexedText(it.content, it.status)
		key, err := tx.indexRecordText(ctx, it.id, text)
		if err != nil {
			return err
		}
		if terms := indexTerms(tx.engine, patient, text); len(terms) > 0 {
			fts = append(fts, []any{key, strings.Join(terms, " ")})
		}
	}
	if err := tx.insertRows(ctx, "record_gram_fts", "rowid, terms", 2, fts); err != nil {
		return fmt.Errorf("index record grams: %w", err)
	}
	q.items = q.items[:0]
	return nil
}

// indexLater indexes record id (of patient, "" if the caller does not
// know it) with its current content c for search: on SQLite when the
// transaction ends (see above), on PostgreSQL now.
func (tx *Tx) indexLater(ctx context.Context, id, patient string, c care.RecordContent, status string) error {
	if tx.engine != SQLite {
		return tx.indexRecord(ctx, id, patient, c, status)
	}
	q := tx.Defer(indexLaterKey{}, rankIndex, func() Deferred { return &indexQueue{} }).(*indexQueue)
	q.items = append(q.items, indexItem{id: id, patient: patient, content: c, status: status})
	return nil
}
