-- +goose Up

-- The doctor's digest (GET /api/v1/me/digest): when each user last looked.
-- seen_until only moves forward (POST /api/v1/me/digest/seen); what was
-- written after it is new to them. One row a user, made on the first look.
CREATE TABLE digest_seen (
    user_id     TEXT PRIMARY KEY REFERENCES app_user(id),
    seen_until  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

-- The digest reads a caseload's records written since a moment.
CREATE INDEX record_created ON record (patient_id, created_at);

-- +goose Down
DROP INDEX record_created;
DROP TABLE digest_seen;
