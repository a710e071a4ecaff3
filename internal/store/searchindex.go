package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"tsunagu/internal/care"
)

// The search index (migration 27). Each record's current version is kept
// as its normalised text (record_search.body, what a search confirms
// against) and as a set of index terms, one per distinct bigram of the
// text (care.Bigrams): the gram within the record's patient, a 64-bit hash
// of the two (searchTerm). A search asks the index, for each of the
// caller's patients, for the records holding every gram of its words: the
// terms' posting lists are that patient's records alone, so the work
// never grows with the network's records, and a common gram costs no more
// than the patient's share of it.
//
// SQLite keeps the terms in an FTS5 table (record_gram_fts: contentless,
// detail=none, so a term's entries are a varint-delta list of record_search
// keys); PostgreSQL in record_search.grams, a BIGINT[] under a GIN index
// (compressed posting lists). Two (patient, gram) pairs may share a hash:
// the index then names a few more candidates, which the page query drops
// (its patient and text checks). The bigram rows of migration 19 (one
// b-tree row per gram in three b-trees) were 86–88 % of a database.

// recordTerm is the index term of gram g in the records of patient.
func recordTerm(patient, g string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(patient))
	h.Write([]byte{0})
	h.Write([]byte(g))
	return h.Sum64()
}

// ftsTerm is a term as an FTS5 token: ASCII letters and digits, which the
// ascii tokenizer keeps whole.
func ftsTerm(t uint64) string { return "t" + strconv.FormatUint(t, 36) }

// indexTerms are the index terms of a record of patient whose normalised
// text is text: none for an empty text. On SQLite FTS5 tokens, on
// PostgreSQL a BIGINT[] literal's elements.
func indexTerms(engine, patient, text string) []string {
	grams := care.Bigrams(text)
	terms := make([]string, len(grams))
	for i, g := range grams {
		t := recordTerm(patient, g)
		if engine == Postgres {
			terms[i] = strconv.FormatInt(int64(t), 10)
		} else {
			terms[i] = ftsTerm(t)
		}
	}
	return terms
}

// pgArray is elements as a PostgreSQL array literal, for a ?::text[] or
// ?::bigint[] parameter.
func pgArray(elems []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, t := range elems {
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

// indexRecord rewrites the search index of record id of patient (already
// inserted, with its current version's content c and status; patient ""
// when the caller does not know it): its normalised text and its index
// terms. Only the current version is indexed; an amendment
// replaces what the previous one indexed. A record entered in error is
// indexed empty: its text stays in the history, but a search never finds
// it (it is often another patient's text written on the wrong chart).
func (tx *Tx) indexRecord(ctx context.Context, id, patient string, c care.RecordContent, status string) error {
	text := indexedText(c, status)
	if patient == "" {
		if err := tx.get(ctx, &patient, `SELECT patient_id FROM record WHERE id = ?`, id); err != nil {
			return fmt.Errorf("index record: %w", err)
		}
	}
	terms := indexTerms(tx.engine, patient, text)
	if tx.engine == Postgres {
		if _, err := tx.exec(ctx, `INSERT INTO record_search (record_id, body, grams) VALUES (?, ?, ?::bigint[])
			ON CONFLICT (record_id) DO UPDATE SET body = excluded.body, grams = excluded.grams`, id, text, pgArray(terms)); err != nil {
			return fmt.Errorf("index record: %w", err)
		}
		return nil
	}
	key, err := tx.indexRecordText(ctx, id, text)
	if err != nil || len(terms) == 0 {
		return err
	}
	if _, err := tx.exec(ctx, `INSERT INTO record_gram_fts (rowid, terms) VALUES (?, ?)`, key, strings.Join(terms, " ")); err != nil {
		return fmt.Errorf("index record grams: %w", err)
	}
	return nil
}

// indexedText is what the index keeps of a version with content c and
// status: its normalised text, or nothing when it was entered in error.
func indexedText(c care.RecordContent, status string) string {
	if status == care.RecordEnteredInError {
		return ""
	}
	return c.SearchText()
}

// indexRecordText is indexRecord's first half on SQLite: it writes record
// id's normalised text, removes the record's old terms and returns the
// key under which its new terms go into record_gram_fts. The group
// commit's indexing (indexlater.go) inserts the terms of all its records
// after all their texts, in one statement.
func (tx *Tx) indexRecordText(ctx context.Context, id, text string) (int64, error) {
	var keys []int64
	if err := tx.sel(ctx, &keys, `SELECT key FROM record_search WHERE record_id = ?`, id); err != nil {
		return 0, fmt.Errorf("index record: %w", err)
	}
	var key int64
	if len(keys) == 1 {
		key = keys[0]
		if _, err := tx.exec(ctx, `DELETE FROM record_gram_fts WHERE rowid = ?`, key); err != nil {
			return 0, fmt.Errorf("unindex record: %w", err)
		}
		if _, err := tx.exec(ctx, `UPDATE record_search SET body = ? WHERE key = ?`, text, key); err != nil {
			return 0, fmt.Errorf("index record text: %w", err)
		}
	} else if err := tx.get(ctx, &key, `INSERT INTO record_search (record_id, body) VALUES (?, ?) RETURNING key`, id, text); err != nil {
		return 0, fmt.Errorf("index record text: %w", err)
	}
	return key, nil
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
				if err := tx.indexRecord(ctx, row.RecordID, "", v.Content, v.Status); err != nil {
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
