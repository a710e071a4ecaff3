-- +goose Up

-- The mutation ledger is keyed by device: a mutation id is answered only to
-- the device that sent it (the same id from another device is refused, see
-- api/sync_ledger.go). entity and entity_id name the entity the stored
-- answer shows, so a resend shows it only while the caller may still read
-- it; rows from before this step have none and are answered without it.
CREATE TABLE mutation_ledger_by_device (
    device_id   TEXT NOT NULL REFERENCES device(id),
    id          TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    type        TEXT NOT NULL,
    status      TEXT NOT NULL,
    result      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    applied_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (device_id, id)
);
INSERT INTO mutation_ledger_by_device (device_id, id, seq, type, status, result, entity, entity_id, applied_at)
    SELECT device_id, id, seq, type, status, result, '', '', applied_at FROM mutation_ledger;
DROP TABLE mutation_ledger;
ALTER TABLE mutation_ledger_by_device RENAME TO mutation_ledger;
CREATE UNIQUE INDEX mutation_ledger_device_seq ON mutation_ledger (device_id, seq);
CREATE INDEX mutation_ledger_id ON mutation_ledger (id);

-- +goose Down
CREATE TABLE mutation_ledger_by_id (
    id          TEXT PRIMARY KEY,
    device_id   TEXT NOT NULL REFERENCES device(id),
    seq         BIGINT NOT NULL,
    type        TEXT NOT NULL,
    status      TEXT NOT NULL,
    result      TEXT NOT NULL,
    applied_at  TIMESTAMP NOT NULL
);
-- Ids refused because another device had used them go: that device's row stays.
INSERT INTO mutation_ledger_by_id (id, device_id, seq, type, status, result, applied_at)
    SELECT l.id, l.device_id, l.seq, l.type, l.status, l.result, l.applied_at FROM mutation_ledger l
    WHERE NOT EXISTS (SELECT 1 FROM mutation_ledger o WHERE o.id = l.id
        AND (o.applied_at < l.applied_at OR (o.applied_at = l.applied_at AND o.device_id < l.device_id)));
DROP TABLE mutation_ledger;
ALTER TABLE mutation_ledger_by_id RENAME TO mutation_ledger;
CREATE UNIQUE INDEX mutation_ledger_device_seq ON mutation_ledger (device_id, seq);
