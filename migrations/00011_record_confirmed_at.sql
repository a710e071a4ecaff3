-- +goose Up

-- When the author confirmed the record's current version, kept on the
-- record row too: with the current version's number it names the record's
-- current form (the record cache's key), which every page of the timeline
-- and the pull reads for each record. Read from the version, it cost a
-- second lookup per record, and confirmed_at, the version's last column,
-- sits behind the body: a long note spilled onto overflow pages that were
-- read just to reach it. Written with the version's (AddRecordVersion,
-- ConfirmRecordVersion), never alone.
ALTER TABLE record ADD COLUMN confirmed_at TIMESTAMP;
UPDATE record SET confirmed_at = (SELECT v.confirmed_at FROM record_version v
    WHERE v.record_id = record.id AND v.version = record.current_version);

-- +goose Down
ALTER TABLE record DROP COLUMN confirmed_at;
