package store

// compactSearchIndex (migration 27) replaces migration 19's bigram rows
// (record_gram: one row per distinct gram of a record, in a table and two
// indexes, 28–37 KB a 500-character record, 86–88 % of a database) with
// the compact index of searchindex.go: on SQLite an FTS5 table of index
// terms keyed by record_search's new integer key; on PostgreSQL a text[]
// (BIGINT[]) of them on record_search under a GIN index. Index terms are made in Go
// (NFKC, bigrams), so every record is queued in record_search_backlog and
// indexed by the store after migrating (IndexBacklog), 200 to a
// transaction; until it is, a search does not find it.
var compactSearchIndex = map[string][]string{
	SQLite: {
		`DROP TABLE record_gram`,
		`DROP TABLE record_search`,
		// key: the FTS5 rowid of the record's terms. INTEGER PRIMARY KEY,
		// so that VACUUM keeps it.
		`CREATE TABLE record_search (
			key        INTEGER PRIMARY KEY,
			record_id  TEXT NOT NULL UNIQUE REFERENCES record(id),
			body       TEXT NOT NULL
		)`,
		// contentless (the text is record_search.body), detail=none (a
		// term's entries are keys only: a search intersects terms, never
		// phrases), the ascii tokenizer (terms are ASCII, gramTerm).
		`CREATE VIRTUAL TABLE record_gram_fts USING fts5(terms, content='', contentless_delete=1, detail=none, tokenize='ascii')`,
		`DELETE FROM record_search_backlog`,
		`INSERT INTO record_search_backlog (record_id) SELECT id FROM record`,
	},
	Postgres: {
		`DROP TABLE record_gram`,
		`ALTER TABLE record_search ADD COLUMN grams BIGINT[] NOT NULL DEFAULT '{}'`,
		// A small pending list: a search reads the pending entries whole,
		// and each record brings a few hundred.
		`CREATE INDEX record_search_grams ON record_search USING gin (grams) WITH (gin_pending_list_limit = 512)`,
		`INSERT INTO record_search_backlog (record_id) SELECT id FROM record ON CONFLICT DO NOTHING`,
	},
}

var compactSearchIndexDown = map[string][]string{
	SQLite: append([]string{
		`DROP TABLE record_gram_fts`,
		`DROP TABLE record_search`,
		`CREATE TABLE record_search (
			record_id  TEXT PRIMARY KEY REFERENCES record(id),
			body       TEXT NOT NULL
		)`,
	}, gramTableDown...),
	Postgres: append([]string{
		`DROP INDEX record_search_grams`,
		`ALTER TABLE record_search DROP COLUMN grams`,
		`DELETE FROM record_search`,
	}, gramTableDown...),
}

// gramTableDown is migration 19's bigram table, empty, every record
// queued to be indexed in it again.
var gramTableDown = []string{
	`CREATE TABLE record_gram (
		gram         TEXT NOT NULL,
		record_id    TEXT NOT NULL REFERENCES record(id),
		patient_id   TEXT NOT NULL,
		occurred_at  TIMESTAMP NOT NULL,
		PRIMARY KEY (record_id, gram)
	)`,
	`CREATE INDEX record_gram_all ON record_gram (gram, occurred_at, record_id)`,
	`CREATE INDEX record_gram_patient ON record_gram (gram, patient_id, occurred_at, record_id)`,
	`DELETE FROM record_search_backlog`,
	`INSERT INTO record_search_backlog (record_id) SELECT id FROM record`,
}
