-- +goose Up

-- The current consent of a patient (the latest one not withdrawn) is read
-- on every access decision: each write, each read, each pull's caseload.
-- With the recording order in the index it is one backward step instead of
-- a sort of the patient's consents. It replaces consent_patient, its prefix.
CREATE INDEX consent_current ON consent (patient_id, withdrawn_at, recorded_at, id);
DROP INDEX consent_patient;

-- +goose Down
CREATE INDEX consent_patient ON consent (patient_id, withdrawn_at);
DROP INDEX consent_current;
