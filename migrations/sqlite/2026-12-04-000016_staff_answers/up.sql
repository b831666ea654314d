-- The business in the conversation: one answer per thread marked as the official one, and
-- notes on a thread that only staff, moderators and the owner read.

ALTER TABLE threads ADD COLUMN official_answer_id BIGINT REFERENCES posts (id);
-- The "Answered by staff" list walks this index, newest first.
CREATE INDEX threads_official ON threads (created_at, id) WHERE official_answer_id IS NOT NULL;

-- Internal notes live apart from posts and comments: nothing that reads posts (pages, search,
-- the API, notifications) can show them by mistake.
CREATE TABLE staff_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id BIGINT NOT NULL REFERENCES threads (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    body_source TEXT NOT NULL,
    body_html TEXT NOT NULL,
    idempotency_key TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (author_id, idempotency_key)
);
CREATE INDEX staff_notes_by_thread ON staff_notes (thread_id, id);
