-- Closing a question as a duplicate of another: it takes no new answers, shows a banner that
-- links to the original, and appears among the original's linked questions.
ALTER TABLE threads ADD COLUMN closed_at TIMESTAMP;
ALTER TABLE threads ADD COLUMN closed_by BIGINT REFERENCES users (id);
ALTER TABLE threads ADD COLUMN duplicate_of BIGINT REFERENCES threads (id);
CREATE INDEX threads_duplicate_of ON threads (duplicate_of, created_at, id);
