-- +goose Up

-- When the author confirmed a version someone else entered (代行入力の確定).
-- confirmed_by (00003) and confirmed_at are written together, once, from
-- NULL; the content of a version never changes.
ALTER TABLE record_version ADD COLUMN confirmed_at TIMESTAMP;

-- +goose Down
ALTER TABLE record_version DROP COLUMN confirmed_at;
