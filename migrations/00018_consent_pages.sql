-- +goose Up

-- The pages of a consent's signed form (同意書), in order: each an
-- attachment of the consent's patient. A consent cites its pages as a
-- record cites its photos (attachment_citation): who may read the consent's
-- form (care.AttachmentRead: those who manage the patient) reads them.
-- consent.attachment_id stays the first page, for readers of one page.
CREATE TABLE consent_page (
    consent_id     TEXT NOT NULL REFERENCES consent(id),
    page           BIGINT NOT NULL,
    attachment_id  TEXT NOT NULL REFERENCES attachment(id),
    PRIMARY KEY (consent_id, page)
);
CREATE INDEX consent_page_attachment ON consent_page (attachment_id);

-- A consent recorded before pages has its one scanned form as page 1.
INSERT INTO consent_page (consent_id, page, attachment_id)
    SELECT id, 1, attachment_id FROM consent WHERE attachment_id IS NOT NULL;

-- +goose Down
DROP TABLE consent_page;
