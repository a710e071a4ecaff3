-- +goose Up

-- Misuse alerts (internal/alerts), computed from the audit events as they
-- are written, in the same transaction.

-- alert_seen is what a rule has seen of one user lately: one row per
-- (rule, user, item), where the item is a patient id (many_patients), an
-- address (many_addresses) or one event's own id (the rules that count
-- events). at is when it was seen last, prev_at the time before that (NULL
-- when new): an item counts while at is inside the rule's window, and the
-- upsert tells by prev_at whether it has just entered the window. Rows past
-- every window are pruned by the daily housekeeping.
CREATE TABLE alert_seen (
    rule     TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    item     TEXT NOT NULL,
    at       TIMESTAMP NOT NULL,
    prev_at  TIMESTAMP,
    -- the patient of the event that saw it last, if any: a new alert
    -- names the patients of its window
    patient_id TEXT NOT NULL,
    PRIMARY KEY (rule, user_id, item)
);

-- alert_tally is one row per (rule, user) that a counting transaction locks
-- on PostgreSQL before it counts, so that concurrent writers count in turn
-- and none misses another's item (SQLite has one writer).
CREATE TABLE alert_tally (
    rule     TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (rule, user_id)
);

-- An alert: a rule fired for a user. While it is open, further firings
-- update it (count, last_at, patient_ids); once acknowledged, the next
-- firing opens a new one. patient_ids is a JSON array of at most 50 ids,
-- newest last. facility_id is the user's facility as the events name it
-- (a facility admin sees the alerts about their own facility's staff).
CREATE TABLE alert (
    id               TEXT PRIMARY KEY,
    rule             TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    facility_id      TEXT NOT NULL,
    patient_ids      TEXT NOT NULL,
    count            BIGINT NOT NULL,
    first_at         TIMESTAMP NOT NULL,
    last_at          TIMESTAMP NOT NULL,
    status           TEXT NOT NULL,
    note             TEXT NOT NULL,
    acknowledged_by  TEXT,
    acknowledged_at  TIMESTAMP
);
CREATE UNIQUE INDEX alert_open ON alert (rule, user_id) WHERE status = 'open';
CREATE INDEX alert_status_last ON alert (status, last_at);
CREATE INDEX alert_facility_last ON alert (facility_id, last_at);

-- +goose Down
DROP TABLE alert;
DROP TABLE alert_tally;
DROP TABLE alert_seen;
