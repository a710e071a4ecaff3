-- +goose Up

-- Every client-made id (UUIDv7) names one entity, whatever its kind: a
-- create claims its id here first, in its own transaction, so an id
-- already used by another facility, account, patient, consent, visit or
-- record (of this patient or any other) is refused as taken (409 id_taken)
-- instead of failing on a table's key, or naming two things at once.
CREATE TABLE entity_id (
    id   TEXT PRIMARY KEY,
    kind TEXT NOT NULL
);

INSERT INTO entity_id (id, kind) SELECT id, 'facility' FROM facility;
INSERT INTO entity_id (id, kind) SELECT id, 'user' FROM app_user WHERE id NOT IN (SELECT id FROM entity_id);
INSERT INTO entity_id (id, kind) SELECT id, 'patient' FROM patient WHERE id NOT IN (SELECT id FROM entity_id);
INSERT INTO entity_id (id, kind) SELECT id, 'consent' FROM consent WHERE id NOT IN (SELECT id FROM entity_id);
INSERT INTO entity_id (id, kind) SELECT id, 'visit' FROM visit WHERE id NOT IN (SELECT id FROM entity_id);
INSERT INTO entity_id (id, kind) SELECT id, 'record' FROM record WHERE id NOT IN (SELECT id FROM entity_id);

-- +goose Down
DROP TABLE entity_id;
