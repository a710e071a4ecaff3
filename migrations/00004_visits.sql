-- +goose Up

-- A calendar entry (診療カレンダー): one visit, or the first entry of a
-- weekly series when recurrence (JSON of care.Recurrence) is set. Times are
-- UTC; an all-day entry runs from midnight to midnight in Asia/Tokyo.
-- series_end is the end of the last occurrence (ends_at for a single visit),
-- so that a range query finds the series that can overlap it. record_id
-- links the record written for the visit; no foreign key, because records
-- live in their own migration. version counts every change of the entry
-- and of its exceptions (optimistic concurrency with base_version).
CREATE TABLE visit (
    id          TEXT PRIMARY KEY,
    patient_id  TEXT NOT NULL REFERENCES patient(id),
    kind        TEXT NOT NULL,
    starts_at   TIMESTAMP NOT NULL,
    ends_at     TIMESTAMP NOT NULL,
    all_day     BOOLEAN NOT NULL,
    note        TEXT NOT NULL,
    status      TEXT NOT NULL,
    record_id   TEXT,
    recurrence  TEXT,
    series_end  TIMESTAMP NOT NULL,
    version     BIGINT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    created_by  TEXT NOT NULL REFERENCES app_user(id),
    updated_at  TIMESTAMP NOT NULL,
    updated_by  TEXT NOT NULL REFERENCES app_user(id)
);
CREATE INDEX visit_patient_time ON visit (patient_id, starts_at);

-- The team members a visit is assigned to.
CREATE TABLE visit_assignee (
    visit_id  TEXT NOT NULL REFERENCES visit(id),
    user_id   TEXT NOT NULL REFERENCES app_user(id),
    PRIMARY KEY (visit_id, user_id)
);
CREATE INDEX visit_assignee_user ON visit_assignee (user_id, visit_id);

-- One occurrence of a series changed on its own, keyed by the occurrence's
-- original start. NULL columns keep the series' value; starts_at/ends_at
-- set means the occurrence was moved.
CREATE TABLE visit_exception (
    visit_id          TEXT NOT NULL REFERENCES visit(id),
    occurrence_start  TIMESTAMP NOT NULL,
    starts_at         TIMESTAMP,
    ends_at           TIMESTAMP,
    status            TEXT,
    note              TEXT,
    record_id         TEXT,
    updated_at        TIMESTAMP NOT NULL,
    updated_by        TEXT NOT NULL REFERENCES app_user(id),
    PRIMARY KEY (visit_id, occurrence_start)
);
CREATE INDEX visit_exception_moved ON visit_exception (starts_at, ends_at);

-- Every version of a visit (with its exceptions) as the API showed it.
CREATE TABLE visit_history (
    visit_id    TEXT NOT NULL REFERENCES visit(id),
    version     BIGINT NOT NULL,
    changed_by  TEXT NOT NULL REFERENCES app_user(id),
    changed_at  TIMESTAMP NOT NULL,
    snapshot    TEXT NOT NULL,
    PRIMARY KEY (visit_id, version)
);

-- A user's iCalendar feed; only the SHA-256 of the token is kept. One per
-- user: making a new one replaces (revokes) the old.
CREATE TABLE calendar_feed (
    user_id     TEXT PRIMARY KEY REFERENCES app_user(id),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE calendar_feed;
DROP TABLE visit_history;
DROP TABLE visit_exception;
DROP TABLE visit_assignee;
DROP TABLE visit;
