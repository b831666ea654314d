-- Full-text search on PostgreSQL, rewritten by the application in the same transaction as
-- every change to the text: fulltext_threads has one row per visible thread with what the
-- asker wrote (title weighted A, tag names B, question and its comments C), fulltext_answers
-- one row per visible answer with the answer and its comments. A thread's score is its row's
-- plus its answers'. Separate rows, so that a long discussion does not drown its title when
-- ranks are normalised by length, and so that adding an answer writes one small row. Each
-- has a generated, GIN-indexed tsvector; text is capped under the tsvector size limit.

-- The english configuration, with accents folded first (unaccent is a trusted extension:
-- any owner of the database may create it), so "cafe" finds "café" as it does on SQLite.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH CONFIGURATION stoa_english (COPY = english);
ALTER TEXT SEARCH CONFIGURATION stoa_english
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;

CREATE TABLE fulltext_threads (
    thread_id BIGINT PRIMARY KEY REFERENCES threads (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    tags TEXT NOT NULL,
    question TEXT NOT NULL,
    document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('stoa_english', title), 'A') ||
        setweight(to_tsvector('stoa_english', tags), 'B') ||
        setweight(to_tsvector('stoa_english', left(question, 100000)), 'C')
    ) STORED
);
CREATE INDEX fulltext_threads_document ON fulltext_threads USING GIN (document);

CREATE TABLE fulltext_answers (
    post_id BIGINT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    thread_id BIGINT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    document tsvector GENERATED ALWAYS AS (to_tsvector('stoa_english', left(body, 100000))) STORED
);
CREATE INDEX fulltext_answers_document ON fulltext_answers USING GIN (document);
CREATE INDEX fulltext_answers_thread ON fulltext_answers (thread_id);

INSERT INTO fulltext_threads (thread_id, title, tags, question)
SELECT t.id, t.title,
       COALESCE((SELECT string_agg(g.name, ' ') FROM thread_tags tt JOIN tags g ON g.id = tt.tag_id
                 WHERE tt.thread_id = t.id), ''),
       q.body_source || E'\n' ||
       COALESCE((SELECT string_agg(c.body_source, E'\n' ORDER BY c.id) FROM comments c WHERE c.post_id = q.id), '')
FROM threads t JOIN posts q ON q.thread_id = t.id AND q.is_question
WHERE t.deleted_at IS NULL AND q.deleted_at IS NULL;

INSERT INTO fulltext_answers (post_id, thread_id, body)
SELECT p.id, p.thread_id,
       p.body_source || E'\n' ||
       COALESCE((SELECT string_agg(c.body_source, E'\n' ORDER BY c.id) FROM comments c WHERE c.post_id = p.id), '')
FROM posts p JOIN threads t ON t.id = p.thread_id
WHERE NOT p.is_question AND p.deleted_at IS NULL AND t.deleted_at IS NULL;

-- The outbox for an external search engine (Meilisearch): one row per thread whose document
-- must be sent again, written in the transaction of the change. Rows exist only while an
-- external engine is configured (search_settings.external_engine).
CREATE TABLE search_jobs (
    id BIGSERIAL PRIMARY KEY,
    thread_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    run_after TIMESTAMP NOT NULL,
    -- Set while a worker sends the thread's document: no other worker takes the thread's
    -- jobs until it is done or the claim lapses, so a thread's versions arrive in order.
    claimed_until TIMESTAMP,
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
