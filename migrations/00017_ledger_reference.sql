-- +goose Up

-- The ledger keeps what a resent mutation's answer needs, not the answer:
-- its status (status), its problem as JSON when it has one (problem), and
-- the entity it showed (entity, entity_id and now entity_version, the
-- version the mutation made or, on a conflict, the version that was
-- current). A resend rebuilds the entity from the rows that hold it
-- (api/sync_answers.go), so a record's text is no longer stored a second
-- time here. result is '' in such rows; rows written before this step keep
-- their whole answer in result and are still answered from it.
ALTER TABLE mutation_ledger ADD COLUMN entity_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE mutation_ledger ADD COLUMN problem TEXT NOT NULL DEFAULT '';

-- +goose Down
-- Rows written since get an answer the earlier build reads: their id,
-- status and problem (their entity is not rebuilt there, so it is left out).
UPDATE mutation_ledger SET result = '{"id":"' || id || '","status":"' || status || '","problem":' || problem || '}'
    WHERE result = '' AND problem <> '';
UPDATE mutation_ledger SET result = '{"id":"' || id || '","status":"' || status || '"}'
    WHERE result = '';
ALTER TABLE mutation_ledger DROP COLUMN problem;
ALTER TABLE mutation_ledger DROP COLUMN entity_version;
