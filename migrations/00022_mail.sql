-- +goose Up

-- A user's e-mail address for notifications. It is used only once
-- verified (verified_at set): PUT /me/email stores it unverified with the
-- hash of a confirmation token that expires; the link in the confirmation
-- mail carries the token itself.
CREATE TABLE user_email (
    user_id           TEXT PRIMARY KEY REFERENCES app_user(id),
    address           TEXT NOT NULL,
    verified_at       TIMESTAMP,
    token_hash        TEXT,
    token_expires_at  TIMESTAMP,
    updated_at        TIMESTAMP NOT NULL
);

-- A user's notification preferences (JSON, notify.Prefs); no row = the
-- defaults.
CREATE TABLE notify_pref (
    user_id     TEXT PRIMARY KEY REFERENCES app_user(id),
    prefs       TEXT NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

-- The e-mail side of the transactional outbox: one row per notification
-- to one user, written in the transaction of its cause, claimed for a lease
-- by the mail worker, deleted once the SMTP server accepted it. address is
-- where it goes (checked again against user_email when sent); secret is the
-- confirmation token of a kind 'verify' row, gone with the row once sent;
-- gather rows due together for one user leave as one message.
CREATE TABLE mail_outbox (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL,
    kind           TEXT NOT NULL,
    address        TEXT NOT NULL,
    secret         TEXT NOT NULL,
    gather         BOOLEAN NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    not_before     TIMESTAMP NOT NULL,
    attempts       BIGINT NOT NULL,
    claimed_until  TIMESTAMP
);
CREATE INDEX mail_outbox_due ON mail_outbox (not_before);
CREATE INDEX mail_outbox_user ON mail_outbox (user_id);

-- +goose Down
DROP TABLE mail_outbox;
DROP TABLE notify_pref;
DROP TABLE user_email;
