-- +goose Up

-- A substitute for one occurrence of a series (代わりの担当): the assignees
-- of that occurrence alone, replacing the series' assignees for it. An
-- occurrence with rows here has exactly these assignees; without rows it
-- keeps the series'. Kept beside its exception (visit_exception), which
-- is written with it.
CREATE TABLE visit_exception_assignee (
    visit_id          TEXT NOT NULL REFERENCES visit(id),
    occurrence_start  TIMESTAMP NOT NULL,
    user_id           TEXT NOT NULL REFERENCES app_user(id),
    PRIMARY KEY (visit_id, occurrence_start, user_id)
);
CREATE INDEX visit_exception_assignee_user ON visit_exception_assignee (user_id);

-- +goose Down
DROP TABLE visit_exception_assignee;
