-- Full-text search on PostgreSQL: one row per visible thread holding its title, tags,
-- question and answers, rewritten by the application in the same transaction as every change
-- to that text. The weighted tsvector (title A, tags B, question C, answers D) is generated
-- from them and indexed with GIN. Text is capped so that a huge thread stays under the
-- tsvector size limit.
CREATE TABLE fulltext_threads (
    thread_id BIGINT PRIMARY KEY REFERENCES threads (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    tags TEXT NOT NULL,
    question TEXT NOT NULL,
    answers TEXT NOT NULL,
    document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') ||
        setweight(to_tsvector('english', tags), 'B') ||
        setweight(to_tsvector('english', left(question, 60000)), 'C') ||
        setweight(to_tsvector('english', left(answers, 200000)), 'D')
    ) STORED
);
CREATE INDEX fulltext_threads_document ON fulltext_threads USING GIN (document);

INSERT INTO fulltext_threads (thread_id, title, tags, question, answers)
SELECT t.id, t.title,
       COALESCE((SELECT string_agg(g.name, ' ') FROM thread_tags tt JOIN tags g ON g.id = tt.tag_id
                 WHERE tt.thread_id = t.id), ''),
       q.body_source,
       COALESCE((SELECT string_agg(a.body_source, E'\n' ORDER BY a.id) FROM posts a
                 WHERE a.thread_id = t.id AND NOT a.is_question AND a.deleted_at IS NULL), '')
FROM threads t JOIN posts q ON q.thread_id = t.id AND q.is_question
WHERE t.deleted_at IS NULL AND q.deleted_at IS NULL;

-- The outbox for an external search engine (Meilisearch): one row per thread whose document
-- must be sent again, written in the transaction of the change. Rows exist only while an
-- external engine is configured (search_settings.external_engine).
CREATE TABLE search_jobs (
    id BIGSERIAL PRIMARY KEY,
    thread_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    run_after TIMESTAMP NOT NULL,
    last_error TEXT
);
CREATE INDEX search_jobs_due ON search_jobs (run_after, id);
CREATE INDEX search_jobs_thread ON search_jobs (thread_id, id);

-- Which external engine the nodes feed, if any; one row.
CREATE TABLE search_settings (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    external_engine TEXT
);
INSERT INTO search_settings (id, external_engine) VALUES (1, NULL);
