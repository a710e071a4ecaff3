-- +goose Up

-- 介護保険 numbers, the keys of the care-plan data standard
-- (ケアプランデータ連携): a patient's 保険者番号 (6 digits, the last a check
-- digit) and 被保険者番号 (10 digits), a facility's 介護保険事業所番号
-- (10 digits). Empty when not known. Not unique: matching a plan's row only
-- looks among the patients the importing user reaches, and two of those
-- with the same numbers are reported as ambiguous instead.
ALTER TABLE patient ADD COLUMN insurer_number TEXT NOT NULL DEFAULT '';
ALTER TABLE patient ADD COLUMN insured_number TEXT NOT NULL DEFAULT '';
CREATE INDEX patient_insured ON patient (insured_number, insurer_number);
ALTER TABLE facility ADD COLUMN office_number TEXT NOT NULL DEFAULT '';

-- A visit created from a row of a 第6表 予定 file (UPPLAN). The key names
-- the planned slot — facility, month, sending office, patient, service
-- code and start — so that importing the same file again finds every slot
-- and changes nothing, and a corrected file cancels the slots it no longer
-- has (those not yet done) and adds the new ones. The service code goes
-- back out in the 実績 file (UPJSK).
CREATE TABLE careplan_visit (
    visit_id       TEXT PRIMARY KEY REFERENCES visit(id),
    facility_id    TEXT NOT NULL REFERENCES facility(id),
    month          TEXT NOT NULL,
    from_office    TEXT NOT NULL,
    patient_id     TEXT NOT NULL REFERENCES patient(id),
    service_type   TEXT NOT NULL,
    service_item   TEXT NOT NULL,
    service_name   TEXT NOT NULL,
    slot_key       TEXT NOT NULL,
    imported_at    TIMESTAMP NOT NULL,
    imported_by    TEXT NOT NULL REFERENCES app_user(id)
);
CREATE UNIQUE INDEX careplan_visit_slot ON careplan_visit (facility_id, month, from_office, slot_key);

-- +goose Down
DROP TABLE careplan_visit;
DROP INDEX patient_insured;
ALTER TABLE facility DROP COLUMN office_number;
ALTER TABLE patient DROP COLUMN insured_number;
ALTER TABLE patient DROP COLUMN insurer_number;
