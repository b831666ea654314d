-- Full-text search on the embedded database, rewritten by the application in the same
-- transaction as every change to the text: fulltext_threads has one row per visible thread
-- (rowid = thread id) with what the asker wrote (title, tag names, question and its
-- comments), fulltext_answers one row per visible answer (rowid = post id) with the answer
-- and its comments. A thread's score is its row's plus its answers'. Separate rows, because
-- bm25 normalises by length (in one document a long discussion would drown its title), and
-- because adding an answer then writes one small row, not the whole discussion again. The
-- porter stemmer makes "installs" find "installing"; remove_diacritics makes "cafe" find
-- "café".
CREATE VIRTUAL TABLE fulltext_threads USING fts5(
    title, tags, question,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE fulltext_answers USING fts5(
    body, thread_id UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

INSERT INTO fulltext_threads (rowid, title, tags, question)
SELECT t.id, t.title,
       COALESCE((SELECT group_concat(g.name, ' ') FROM thread_tags tt JOIN tags g ON g.id = tt.tag_id
                 WHERE tt.thread_id = t.id), ''),
       q.body_source || char(10) ||
       COALESCE((SELECT group_concat(c.body_source, char(10)) FROM comments c WHERE c.post_id = q.id), '')
FROM threads t JOIN posts q ON q.thread_id = t.id AND q.is_question = 1
WHERE t.deleted_at IS NULL AND q.deleted_at IS NULL;

INSERT INTO fulltext_answers (rowid, body, thread_id)
SELECT p.id,
       p.body_source || char(10) ||
       COALESCE((SELECT group_concat(c.body_source, char(10)) FROM comments c WHERE c.post_id = p.id), ''),
       p.thread_id
FROM posts p JOIN threads t ON t.id = p.thread_id
WHERE p.is_question = 0 AND p.deleted_at IS NULL AND t.deleted_at IS NULL;

-- The outbox for an external search engine (Meilisearch): one row per thread whose document
-- must be sent again, written in the transaction of the change. Rows exist only while an
-- external engine is configured (search_settings.external_engine).
CREATE TABLE search_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
    id INTEGER PRIMARY KEY CHECK (id = 1),
    external_engine TEXT
);
INSERT INTO search_settings (id, external_engine) VALUES (1, NULL);
