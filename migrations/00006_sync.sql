-- +goose Up

-- The change log the sync protocol pulls from. seq comes from
-- change_counter, updated inside the writing transaction: writers serialise
-- on that row, so sequence numbers become visible in order and a reader
-- never skips a row that commits later with a smaller number (which a
-- PostgreSQL sequence allows).
CREATE TABLE change_counter (
    id   BIGINT PRIMARY KEY,
    seq  BIGINT NOT NULL
);
INSERT INTO change_counter (id, seq) VALUES (1, 0);

-- entity: patient, team, record, visit, attachment, access. 'access' rows
-- mark a change of who may reach the patient: subject_id is the user whose
-- access changed, or '' when it changed for the whole team (consent).
-- chart marks chart content, which only chart-level readers pull.
CREATE TABLE change_log (
    seq         BIGINT PRIMARY KEY,
    patient_id  TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    op          TEXT NOT NULL,
    chart       BOOLEAN NOT NULL,
    subject_id  TEXT NOT NULL,
    at          TIMESTAMP NOT NULL
);
CREATE INDEX change_log_patient ON change_log (patient_id, seq);
CREATE INDEX change_log_access ON change_log (entity, subject_id, seq);

-- A device (an installed app) of a user; last_seq is the sequence number of
-- the last mutation it sent that was answered.
CREATE TABLE device (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES app_user(id),
    secret        TEXT NOT NULL,
    secret_expires_at TIMESTAMP NOT NULL,
    last_seq      BIGINT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL,
    revoked_at    TIMESTAMP
);
CREATE INDEX device_user ON device (user_id);

-- Every mutation ever applied, with its answer, so a resend returns the
-- stored answer and never a second effect.
CREATE TABLE mutation_ledger (
    id          TEXT PRIMARY KEY,
    device_id   TEXT NOT NULL REFERENCES device(id),
    seq         BIGINT NOT NULL,
    type        TEXT NOT NULL,
    status      TEXT NOT NULL,
    result      TEXT NOT NULL,
    applied_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX mutation_ledger_device_seq ON mutation_ledger (device_id, seq);

-- Web Push subscriptions, one per browser endpoint.
CREATE TABLE push_subscription (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES app_user(id),
    endpoint    TEXT NOT NULL UNIQUE,
    p256dh      TEXT NOT NULL,
    auth        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX push_subscription_user ON push_subscription (user_id);

-- The transactional outbox: one row per notification to one subscription,
-- written in the transaction of the record that causes it.
CREATE TABLE outbox (
    id               TEXT PRIMARY KEY,
    subscription_id  TEXT NOT NULL,
    payload          TEXT NOT NULL,
    topic            TEXT NOT NULL,
    urgency          TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    not_before       TIMESTAMP NOT NULL,
    attempts         BIGINT NOT NULL,
    claimed_until    TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (not_before);

-- +goose Down
DROP TABLE outbox;
DROP TABLE push_subscription;
DROP TABLE mutation_ledger;
DROP TABLE device;
DROP TABLE change_log;
DROP TABLE change_counter;
