-- +goose Up

-- Staff messages (スタッフ連絡): conversations between staff outside any
-- patient, like the regional network's secure mail. A thread is either a
-- pair of accounts (kind 'direct'; user_a < user_b, so a pair has one
-- thread whoever writes first) or the staff of one facility (kind
-- 'facility'; its id is the facility's id, one per facility). Who takes
-- part is decided when asked, from the accounts as they are now: a pair's
-- two active accounts, a facility's active staff — so whoever leaves the
-- facility or is suspended stops reading at once. last_seq numbers the
-- thread's messages (1, 2, …): positions for paging, read pointers and
-- unread counts that do not depend on any client's clock.
CREATE TABLE staff_thread (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    facility_id     TEXT REFERENCES facility(id),
    user_a          TEXT REFERENCES app_user(id),
    user_b          TEXT REFERENCES app_user(id),
    last_seq        BIGINT NOT NULL,
    last_message_at TIMESTAMP,
    created_at      TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX staff_thread_pair ON staff_thread (user_a, user_b);
CREATE UNIQUE INDEX staff_thread_facility ON staff_thread (facility_id);
CREATE INDEX staff_thread_user_b ON staff_thread (user_b);

-- A message: insert-only. id is made by the app (UUIDv7, claimed in
-- entity_id); attachment_ids is its JSON list of staff_attachment ids, in
-- the order the author gave them.
CREATE TABLE staff_message (
    id              TEXT PRIMARY KEY,
    thread_id       TEXT NOT NULL REFERENCES staff_thread(id),
    seq             BIGINT NOT NULL,
    author_id       TEXT NOT NULL REFERENCES app_user(id),
    text            TEXT NOT NULL,
    attachment_ids  TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX staff_message_thread_seq ON staff_message (thread_id, seq);

-- How far each participant has read a thread (moves forward only).
CREATE TABLE staff_thread_read (
    thread_id  TEXT NOT NULL REFERENCES staff_thread(id),
    user_id    TEXT NOT NULL REFERENCES app_user(id),
    read_seq   BIGINT NOT NULL,
    read_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (thread_id, user_id)
);

-- A photo of a staff message: the same sanitized blobs as a patient's
-- attachment (content-addressed keys), but no patient. message_id is set
-- once, when a message cites it: from then on the thread's participants
-- read it; before, only its uploader. An attachment is cited by at most one
-- message, so it never travels from one thread to another.
CREATE TABLE staff_attachment (
    id            TEXT PRIMARY KEY,
    sha256        TEXT NOT NULL,
    size          BIGINT NOT NULL,
    content_type  TEXT NOT NULL,
    width         BIGINT NOT NULL,
    height        BIGINT NOT NULL,
    thumb_sha     TEXT,
    uploaded_by   TEXT NOT NULL REFERENCES app_user(id),
    uploaded_at   TIMESTAMP NOT NULL,
    message_id    TEXT REFERENCES staff_message(id)
);
CREATE INDEX staff_attachment_sha ON staff_attachment (sha256);
CREATE INDEX staff_attachment_thumb ON staff_attachment (thumb_sha);
CREATE INDEX staff_attachment_message ON staff_attachment (message_id);

-- +goose Down
DROP TABLE staff_attachment;
DROP TABLE staff_thread_read;
DROP TABLE staff_message;
DROP TABLE staff_thread;
