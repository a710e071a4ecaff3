package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	"tsunagu/internal/care"
)

// The search index (migration 27). Each record's current version is kept
// as its normalised text (record_search.body, what a search confirms
// against) and as a set of index terms: the distinct bigrams of the text
// (care.Bigrams) and the record's patient, twice for a record that is not
// in the chart (the Shared level reads those only). A search asks the
// index for the records of one patient holding every gram of its words.
//
// SQLite keeps the terms in an FTS5 table (record_gram_fts: contentless,
// detail=none, so a term's entries are a varint-delta list of record_search
// keys, 1–2 bytes each); PostgreSQL in record_search.grams, a text[] under
// a GIN index (compressed posting lists). The bigram rows of migration 19
// (one b-tree row per gram in three b-trees) were 86–88 % of a database.

// gramTerm is the index term of gram g: itself on PostgreSQL; on SQLite
// "g" and its UTF-8 in hex, so that FTS5's ascii tokenizer keeps it one
// token whatever its characters (punctuation, symbols) and never folds it.
func gramTerm(engine, g string) string {
	if engine == Postgres {
		return g
	}
	return "g" + hex.EncodeToString([]byte(g))
}

// patientTerm is the index term of the records of patient id a viewer at
// level reads by level alone: all of them at the Chart level ("p"), those
// not in the chart at the Shared level ("s"). A gram is two characters, so
// no gram is ever a patient's term.
func patientTerm(engine, id string, level care.Level) string {
	p := "p"
	if level < care.Chart {
		p = "s"
	}
	if engine == Postgres {
		return p + ":" + id
	}
	return p + hex.EncodeToString([]byte(id))
}

// indexTerms are the index terms of a record of patient (chart or not)
// whose normalised text is text: none for an empty text.
func indexTerms(engine, patient string, chart bool, text string) []string {
	grams := care.Bigrams(text)
	if len(grams) == 0 {
		return nil
	}
	terms := make([]string, 0, len(grams)+2)
	terms = append(terms, patientTerm(engine, patient, care.Chart))
	if !chart {
		terms = append(terms, patientTerm(engine, patient, care.Shared))
	}
	for _, g := range grams {
		terms = append(terms, gramTerm(engine, g))
	}
	return terms
}

// pgArray is terms as a PostgreSQL array literal, for a ?::text[]
// parameter.
func pgArray(terms []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, t := range terms {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, c := range t {
			if c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(c)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// indexRecord rewrites the search index of record id (already inserted,
// with its current version's content c and status): its normalised text
// and its index terms. Only the current version is indexed; an amendment
// replaces what the previous one indexed. A record entered in error is
// indexed empty: its text stays in the history, but a search never finds
// it (it is often another patient's text written on the wrong chart).
func (tx *Tx) indexRecord(ctx context.Context, id string, c care.RecordContent, status string) error {
	text := ""
	if status != care.RecordEnteredInError {
		text = c.SearchText()
	}
	var head struct {
		PatientID string `db:"patient_id"`
		Chart     bool   `db:"chart"`
	}
	if err := tx.get(ctx, &head, `SELECT patient_id, chart FROM record WHERE id = ?`, id); err != nil {
		return fmt.Errorf("index record: %w", err)
	}
	terms := indexTerms(tx.engine, head.PatientID, head.Chart, text)
	if tx.engine == Postgres {
		if _, err := tx.exec(ctx, `INSERT INTO record_search (record_id, body, grams) VALUES (?, ?, ?::text[])
			ON CONFLICT (record_id) DO UPDATE SET body = excluded.body, grams = excluded.grams`, id, text, pgArray(terms)); err != nil {
			return fmt.Errorf("index record: %w", err)
		}
		return nil
	}
	var keys []int64
	if err := tx.sel(ctx, &keys, `SELECT key FROM record_search WHERE record_id = ?`, id); err != nil {
		return fmt.Errorf("index record: %w", err)
	}
	var key int64
	if len(keys) == 1 {
		key = keys[0]
		if _, err := tx.exec(ctx, `DELETE FROM record_gram_fts WHERE rowid = ?`, key); err != nil {
			return fmt.Errorf("unindex record: %w", err)
		}
		if _, err := tx.exec(ctx, `UPDATE record_search SET body = ? WHERE key = ?`, text, key); err != nil {
			return fmt.Errorf("index record text: %w", err)
		}
	} else if err := tx.get(ctx, &key, `INSERT INTO record_search (record_id, body) VALUES (?, ?) RETURNING key`, id, text); err != nil {
		return fmt.Errorf("index record text: %w", err)
	}
	if len(terms) == 0 {
		return nil
	}
	if _, err := tx.exec(ctx, `INSERT INTO record_gram_fts (rowid, terms) VALUES (?, ?)`, key, strings.Join(terms, " ")); err != nil {
		return fmt.Errorf("index record grams: %w", err)
	}
	return nil
}

// IndexBacklog indexes the records a migration queued (19: those written
// before search existed; 27: every record, for the new index), 200 to a
// transaction, each leaving the queue in the transaction that indexes it.
// On a database without a backlog it is one indexed read.
func (db *DB) IndexBacklog(ctx context.Context) error {
	_, err := db.indexBacklog(ctx, -1)
	return err
}

// startBacklogBatches is how many batches of the backlog Open indexes
// before it returns (10,000 records, seconds); the rest is indexed in the
// background while the server runs, a search not finding a record until
// it is (migration 27 queues every record: a prefecture's millions would
// otherwise hold the start for an hour).
const startBacklogBatches = 50

// indexBacklogAtStart is Open's: up to startBacklogBatches batches now,
// the rest in the background until done or the database is closed (a
// later start resumes the queue).
func (db *DB) indexBacklogAtStart(ctx context.Context) error {
	left, err := db.indexBacklog(ctx, startBacklogBatches)
	if err != nil || !left {
		return err
	}
	go db.indexBacklog(context.Background(), -1) //nolint:errcheck // ErrClosed at Close; the queue stays for the next start
	return nil
}

// indexBacklog indexes up to batches batches of the backlog (all of it
// when negative) and answers whether some is left.
func (db *DB) indexBacklog(ctx context.Context, batches int) (bool, error) {
	for b := 0; batches < 0 || b < batches; b++ {
		n := 0
		err := db.Write(ctx, func(tx *Tx) error {
			var ids []string
			if err := tx.sel(ctx, &ids, `SELECT record_id FROM record_search_backlog ORDER BY record_id LIMIT 200`); err != nil {
				return fmt.Errorf("search backlog: %w", err)
			}
			n = len(ids)
			if n == 0 {
				return nil
			}
			// On PostgreSQL the records are locked: an amendment committing
			// meanwhile (the backlog runs beside the server's writes) waits,
			// and indexes its version after; one that committed first has
			// moved current_version, so its record drops out of the join
			// here (it indexed itself).
			lock := ""
			if tx.engine == Postgres {
				lock = " FOR UPDATE OF r"
			}
			var rows []versionRow
			if err := tx.sel(ctx, &rows, `SELECT `+versionColumns+`, '' AS entered_by_name, '' AS entered_by_profession, '' AS confirmed_by_name
				FROM record r JOIN record_version v ON v.record_id = r.id AND v.version = r.current_version
				WHERE r.id IN `+tx.inList()+lock, jsonList(ids)); err != nil {
				return fmt.Errorf("search backlog: %w", err)
			}
			for _, row := range rows {
				v, err := row.version()
				if err != nil {
					return err
				}
				if err := tx.indexRecord(ctx, row.RecordID, v.Content, v.Status); err != nil {
					return err
				}
			}
			_, err := tx.exec(ctx, `DELETE FROM record_search_backlog WHERE record_id IN `+tx.inList(), jsonList(ids))
			return err
		})
		if err != nil || n == 0 {
			return false, err
		}
	}
	return true, nil
}
