-- +goose Up

-- A photo or scanned document of a patient. id is made by the app (offline,
-- UUIDv7). The bytes live in the blob store, content-addressed by the SHA-256
-- of the sanitized image (att/<sha[0:2]>/<sha>) and of its thumbnail
-- (thumb/<thumb_sha[0:2]>/<thumb_sha>); the original with its metadata is
-- never stored. Several rows may share one blob (the same image uploaded
-- twice under two ids).
CREATE TABLE attachment (
    id            TEXT PRIMARY KEY,
    patient_id    TEXT NOT NULL REFERENCES patient(id),
    sha256        TEXT NOT NULL,
    size          BIGINT NOT NULL,
    content_type  TEXT NOT NULL,
    width         BIGINT NOT NULL,
    height        BIGINT NOT NULL,
    thumb_sha     TEXT,
    uploaded_by   TEXT NOT NULL REFERENCES app_user(id),
    uploaded_at   TIMESTAMP NOT NULL
);
CREATE INDEX attachment_patient ON attachment (patient_id, uploaded_at);
CREATE INDEX attachment_sha ON attachment (sha256);
CREATE INDEX attachment_thumb ON attachment (thumb_sha);

-- +goose Down
DROP TABLE attachment;
