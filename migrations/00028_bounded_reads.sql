-- +goose Up

-- A member's reads follow what they see, not the history's size.

-- Who entered the record's current version, kept on the record row too
-- (with the version's, never alone: CreateRecord, AddRecordVersion), as
-- confirmed_at is (00011). The unread badge and the digest exclude the
-- records whose current version the member entered, and "awaiting the
-- author's confirmation" is a version entered by someone else and not yet
-- confirmed: read from the version, each needed a lookup of the version row
-- (behind its body) per record of the caseload's whole history.
ALTER TABLE record ADD COLUMN entered_by TEXT NOT NULL DEFAULT '';
UPDATE record SET entered_by = (SELECT v.entered_by FROM record_version v
    WHERE v.record_id = record.id AND v.version = record.current_version);

-- What is new to a member (/me/unread, the digest): a caseload's records
-- written since a moment, with everything the access rule (care.RecordScope)
-- and "not entered by me" read, so the count walks this index alone and
-- looks into record_read once per record. It replaces record_created, its
-- prefix.
CREATE INDEX record_news ON record (patient_id, created_at, chart, author_id, author_facility_id, entered_by, id);
DROP INDEX record_created;

-- The records awaiting their author's confirmation (代行入力 not yet
-- confirmed): few, where the author's whole history was walked to find them.
CREATE INDEX record_awaiting ON record (author_id, occurred_at, id) WHERE confirmed_at IS NULL AND entered_by <> author_id;

-- The calendar: the visits that can overlap a range are those ending after
-- its start (and starting before its end). On visit_patient_time the walk
-- read every visit of a patient that started before the range's end, the
-- patient's whole history; on this one, those ending after its start.
CREATE INDEX visit_patient_end ON visit (patient_id, series_end);

-- An occurrence moved into a range ends after its start: the same bound,
-- where visit_exception_moved (starts_at, ends_at) walked every moved
-- occurrence of the network that started before the range's end.
CREATE INDEX visit_exception_moved_end ON visit_exception (ends_at, starts_at);
DROP INDEX visit_exception_moved;

-- +goose Down
CREATE INDEX visit_exception_moved ON visit_exception (starts_at, ends_at);
DROP INDEX visit_exception_moved_end;
DROP INDEX visit_patient_end;
DROP INDEX record_awaiting;
CREATE INDEX record_created ON record (patient_id, created_at);
DROP INDEX record_news;
ALTER TABLE record DROP COLUMN entered_by;
