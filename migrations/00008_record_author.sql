-- +goose Up

-- The records of one author, newest first: GET /me/confirmations walks them
-- to find the versions that await the author's confirmation (確定待ち).
CREATE INDEX record_author ON record (author_id, occurred_at, id);

-- +goose Down
DROP INDEX record_author;
