-- +goose Up

-- Record search (記録の検索). record_search keeps the normalised search
-- text (care.RecordContent.SearchText) of each record's current version;
-- record_gram is its bigram index: one row per distinct pair of adjacent
-- characters, with the record's patient and time copied in so that a
-- search walks one gram's rows newest first, across the caller's patients
-- (record_gram_all) or in one patient (record_gram_patient), and checks
-- each candidate's text for the whole words. Both are rewritten in the
-- transaction that creates or amends the record (store.indexRecord).
CREATE TABLE record_search (
    record_id  TEXT PRIMARY KEY REFERENCES record(id),
    body       TEXT NOT NULL
);
CREATE TABLE record_gram (
    gram         TEXT NOT NULL,
    record_id    TEXT NOT NULL REFERENCES record(id),
    patient_id   TEXT NOT NULL,
    occurred_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (record_id, gram)
);
CREATE INDEX record_gram_all ON record_gram (gram, occurred_at, record_id);
CREATE INDEX record_gram_patient ON record_gram (gram, patient_id, occurred_at, record_id);

-- Records written before this migration: NFKC and bigrams are Go, not SQL,
-- so they are queued here and indexed by the store right after migrating
-- (store.indexBacklog), in batches, each removed from the queue in the
-- transaction that indexes it.
CREATE TABLE record_search_backlog (
    record_id  TEXT PRIMARY KEY
);
INSERT INTO record_search_backlog (record_id) SELECT id FROM record;

-- +goose Down
DROP TABLE record_search_backlog;
DROP TABLE record_gram;
DROP TABLE record_search;
