-- Every version of every post: who wrote it, when, why. The first revision is the post as it
-- was written; posts that existed before this migration get theirs from their current text.
CREATE TABLE post_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    editor_id BIGINT NOT NULL REFERENCES users (id),
    title TEXT,                             -- questions only: the thread's title at the time
    tags TEXT,                              -- questions only: tag names, space separated
    body_source TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX post_revisions_post ON post_revisions (post_id, id);

INSERT INTO post_revisions (post_id, editor_id, title, tags, body_source, reason, created_at)
SELECT p.id, p.author_id, CASE WHEN p.is_question THEN t.title END, CASE WHEN p.is_question THEN '' END,
       p.body_source, '', p.created_at
FROM posts p JOIN threads t ON t.id = p.thread_id;
