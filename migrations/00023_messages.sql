-- +goose Up

-- A message of a patient's team channel (連絡). Read by every member of
-- the team at the shared level, care workers included, under the same
-- consent and membership rule as shared records. Insert-only: the text
-- is never changed or deleted; a retraction by the author is a row of
-- message_retraction, and the text stays for the author and the history.
-- The id is made by the app (UUIDv7, offline); the channel's order is the
-- server's created_at, not the id, so a device's clock cannot reorder it.
-- request_hash identifies the create request: the same id and body again
-- answers the same, another body is a conflict. attachment_ids is the JSON
-- list in the order written; message_citation decides who reads them.
CREATE TABLE message (
    id                 TEXT PRIMARY KEY,
    patient_id         TEXT NOT NULL REFERENCES patient(id),
    author_id          TEXT NOT NULL REFERENCES app_user(id),
    author_profession  TEXT NOT NULL,
    text               TEXT NOT NULL,
    reply_to           TEXT REFERENCES message(id),
    urgent             BOOLEAN NOT NULL,
    attachment_ids     TEXT NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    request_hash       TEXT NOT NULL
);
-- The channel, newest first, keyset on (created_at, id).
CREATE INDEX message_channel ON message (patient_id, created_at, id);

-- Who a message mentions (@): current team members when it was written.
CREATE TABLE message_mention (
    message_id  TEXT NOT NULL REFERENCES message(id),
    user_id     TEXT NOT NULL REFERENCES app_user(id),
    PRIMARY KEY (message_id, user_id)
);
-- GET /me/mentions: a user's mentions across patients.
CREATE INDEX message_mention_user ON message_mention (user_id, message_id);

-- The author's retraction (取り消し): at most one per message, written once.
CREATE TABLE message_retraction (
    message_id    TEXT PRIMARY KEY REFERENCES message(id),
    retracted_by  TEXT NOT NULL REFERENCES app_user(id),
    retracted_at  TIMESTAMP NOT NULL
);

-- The photos a message cites: an attachment cited by a message is read at
-- the shared level by the patient's team (care.AttachmentRead).
CREATE TABLE message_citation (
    attachment_id  TEXT NOT NULL REFERENCES attachment(id),
    message_id     TEXT NOT NULL REFERENCES message(id),
    PRIMARY KEY (attachment_id, message_id)
);
CREATE INDEX message_citation_message ON message_citation (message_id);

-- A member's read pointer in a patient's channel, insert-only: one row
-- each time it moves forward, so that when each message was first read
-- (既読) stays known. The pointer is the newest row's position.
CREATE TABLE message_read (
    patient_id   TEXT NOT NULL REFERENCES patient(id),
    user_id      TEXT NOT NULL REFERENCES app_user(id),
    up_to_at     TIMESTAMP NOT NULL,
    up_to_id     TEXT NOT NULL REFERENCES message(id),
    read_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (patient_id, user_id, up_to_at, up_to_id)
);

-- A record made from a message (e.g. a doctor's instruction given in the
-- channel): the link both ways.
ALTER TABLE record ADD COLUMN source_message_id TEXT REFERENCES message(id);
CREATE INDEX record_source_message ON record (source_message_id) WHERE source_message_id IS NOT NULL;

-- +goose Down
DROP INDEX record_source_message;
ALTER TABLE record DROP COLUMN source_message_id;
DROP TABLE message_read;
DROP TABLE message_citation;
DROP TABLE message_retraction;
DROP TABLE message_mention;
DROP TABLE message;
