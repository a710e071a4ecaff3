-- +goose Up

-- What an audited change changed, when that is a code and never patient
-- data: a change of profession or roles keeps "from → to" here
-- (user.profession.change, user.roles.change), which misuse alerts read.
-- The hash covers it only when it is not empty, so older events verify as
-- they were written.
ALTER TABLE audit_event ADD COLUMN detail TEXT NOT NULL DEFAULT '';
-- Alerts and the audit screen find events by action.
CREATE INDEX audit_event_action ON audit_event (action, seq);

-- +goose Down
DROP INDEX audit_event_action;
ALTER TABLE audit_event DROP COLUMN detail;
