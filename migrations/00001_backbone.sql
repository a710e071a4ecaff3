-- +goose Up

-- A facility of the regional network: hospital, clinic, pharmacy, station …
-- disclosure narrows what chart content its staff's records disclose to
-- team members of other facilities ('full' or 'shared_only').
CREATE TABLE facility (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_kana   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    disclosure  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    created_by  TEXT
);

-- A personal account. facility_id is NULL only for network administrators
-- made on the command line (事務局).
CREATE TABLE app_user (
    id                   TEXT PRIMARY KEY,
    facility_id          TEXT REFERENCES facility(id),
    login_id             TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    name_kana            TEXT NOT NULL,
    profession           TEXT NOT NULL,
    network_admin        BOOLEAN NOT NULL,
    facility_admin       BOOLEAN NOT NULL,
    password_hash        TEXT NOT NULL,
    password_changed_at  TIMESTAMP NOT NULL,
    must_change_password BOOLEAN NOT NULL,
    totp_secret          TEXT,
    totp_pending_secret  TEXT,
    totp_last_step       BIGINT NOT NULL,
    status               TEXT NOT NULL,
    last_active_at       TIMESTAMP NOT NULL,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);
CREATE INDEX app_user_facility ON app_user (facility_id);
CREATE INDEX app_user_status_active ON app_user (status, last_active_at);

-- A sign-in session; only the SHA-256 of the token is kept. stage is '' for
-- a full session, 'password' while only the password change is reachable and
-- 'totp' while only TOTP enrolment is.
CREATE TABLE user_session (
    token_hash    TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES app_user(id),
    stage         TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL,
    address       TEXT NOT NULL
);
CREATE INDEX user_session_user ON user_session (user_id);

-- Failed sign-ins, counted per account and per address to throttle guessing.
CREATE TABLE signin_failure (
    id      TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    at      TIMESTAMP NOT NULL
);
CREATE INDEX signin_failure_subject ON signin_failure (subject, at);

-- A patient; facility_id is the registering (home) facility.
CREATE TABLE patient (
    id           TEXT PRIMARY KEY,
    facility_id  TEXT NOT NULL REFERENCES facility(id),
    name         TEXT NOT NULL,
    name_kana    TEXT NOT NULL,
    birth_date   TEXT NOT NULL,
    sex          TEXT NOT NULL,
    address      TEXT NOT NULL,
    phone        TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    created_by   TEXT NOT NULL REFERENCES app_user(id),
    updated_at   TIMESTAMP NOT NULL,
    version      BIGINT NOT NULL
);
CREATE INDEX patient_facility ON patient (facility_id);

-- Consent to share (同意書). Active while withdrawn_at IS NULL.
CREATE TABLE consent (
    id                 TEXT PRIMARY KEY,
    patient_id         TEXT NOT NULL REFERENCES patient(id),
    obtained_on        TEXT NOT NULL,
    scope              TEXT NOT NULL,
    obtained_by        TEXT NOT NULL REFERENCES app_user(id),
    recorded_by        TEXT NOT NULL REFERENCES app_user(id),
    recorded_at        TIMESTAMP NOT NULL,
    attachment_id      TEXT,
    withdrawn_at       TIMESTAMP,
    withdrawn_by       TEXT REFERENCES app_user(id),
    withdrawal_reason  TEXT
);
CREATE INDEX consent_patient ON consent (patient_id, withdrawn_at);

-- Care-team membership with its history; a member is current while
-- removed_at IS NULL.
CREATE TABLE team_member (
    id          TEXT PRIMARY KEY,
    patient_id  TEXT NOT NULL REFERENCES patient(id),
    user_id     TEXT NOT NULL REFERENCES app_user(id),
    role        TEXT NOT NULL,
    added_at    TIMESTAMP NOT NULL,
    added_by    TEXT NOT NULL REFERENCES app_user(id),
    removed_at  TIMESTAMP,
    removed_by  TEXT REFERENCES app_user(id)
);
CREATE UNIQUE INDEX team_member_current ON team_member (patient_id, user_id) WHERE removed_at IS NULL;
CREATE INDEX team_member_user ON team_member (user_id, patient_id) WHERE removed_at IS NULL;

-- The audit log: append-only and chained by hash. audit_head holds the last
-- sequence number and hash; writers update it first, which serialises them
-- on both engines so the chain never forks.
CREATE TABLE audit_head (
    id    BIGINT PRIMARY KEY,
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

CREATE TABLE audit_event (
    seq            BIGINT PRIMARY KEY,
    at             TIMESTAMP NOT NULL,
    actor_id       TEXT NOT NULL,
    actor_facility TEXT NOT NULL,
    action         TEXT NOT NULL,
    patient_id     TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    result         TEXT NOT NULL,
    address        TEXT NOT NULL,
    request_id     TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
CREATE INDEX audit_event_patient ON audit_event (patient_id, seq);
CREATE INDEX audit_event_actor ON audit_event (actor_id, seq);
CREATE INDEX audit_event_facility ON audit_event (actor_facility, seq);
CREATE INDEX audit_event_at ON audit_event (at);

-- Server settings kept in the database (VAPID keys, signing secrets), so that
-- several API instances share them.
CREATE TABLE setting (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- +goose Down
DROP TABLE setting;
DROP TABLE audit_event;
DROP TABLE audit_head;
DROP TABLE team_member;
DROP TABLE consent;
DROP TABLE patient;
DROP TABLE signin_failure;
DROP TABLE user_session;
DROP TABLE app_user;
DROP TABLE facility;
