-- +goose Up

-- A care record (記録). Its content lives in insert-only versions; the only
-- column ever updated is current_version, the pointer to the newest one.
-- author_profession is the author's profession when writing (the timeline
-- filters by it); chart is true for the kinds only clinical professions
-- read, so that the timeline filters them in SQL. request_hash identifies
-- the create request, so that a retried create with the same id and body
-- answers the same and a different body is a conflict.
CREATE TABLE record (
    id                  TEXT PRIMARY KEY,
    patient_id          TEXT NOT NULL REFERENCES patient(id),
    kind                TEXT NOT NULL,
    chart               BOOLEAN NOT NULL,
    author_id           TEXT NOT NULL REFERENCES app_user(id),
    author_facility_id  TEXT NOT NULL REFERENCES facility(id),
    author_profession   TEXT NOT NULL,
    visit_id            TEXT,
    occurred_at         TIMESTAMP NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    current_version     BIGINT NOT NULL,
    request_hash        TEXT NOT NULL
);
-- The timeline: newest first per patient, keyset on (occurred_at, id).
CREATE INDEX record_timeline ON record (patient_id, occurred_at, id);
CREATE INDEX record_visit ON record (visit_id) WHERE visit_id IS NOT NULL;

-- One version of a record, never changed once written. body is the JSON of
-- the content (text, kind fields, 在宅医療情報連携加算 items); vitals and
-- attachment_ids are JSON too (attachment rows come later). parent_version
-- is the version the amendment was based on; stale_parent marks one based
-- on a version that was no longer current, kept for the author to reconcile.
CREATE TABLE record_version (
    record_id       TEXT NOT NULL REFERENCES record(id),
    version         BIGINT NOT NULL,
    parent_version  BIGINT,
    stale_parent    BOOLEAN NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT NOT NULL,
    body            TEXT NOT NULL,
    vitals          TEXT,
    attachment_ids  TEXT NOT NULL,
    entered_by      TEXT NOT NULL REFERENCES app_user(id),
    confirmed_by    TEXT REFERENCES app_user(id),
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (record_id, version)
);

-- Read receipts (既読): one row per record and reader, written once.
CREATE TABLE record_read (
    record_id  TEXT NOT NULL REFERENCES record(id),
    user_id    TEXT NOT NULL REFERENCES app_user(id),
    read_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (record_id, user_id)
);
CREATE INDEX record_read_user ON record_read (user_id, record_id);

-- +goose Down
DROP TABLE record_read;
DROP TABLE record_version;
DROP TABLE record;
