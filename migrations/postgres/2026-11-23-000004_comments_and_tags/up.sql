-- Comments under questions and answers, and tags on questions.
ALTER TABLE posts ADD COLUMN comment_count INTEGER NOT NULL DEFAULT 0;

CREATE TABLE comments (
    id BIGSERIAL PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES users (id),
    body_source TEXT NOT NULL,
    body_html TEXT NOT NULL,
    idempotency_key TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX comments_post_created ON comments (post_id, created_at, id);
CREATE INDEX comments_author_id ON comments (author_id);
CREATE UNIQUE INDEX comments_idempotency ON comments (author_id, idempotency_key);

CREATE TABLE tags (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,              -- lower case, hyphens: "billing", "two-factor"
    description TEXT NOT NULL DEFAULT '',
    question_count INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX tags_popular ON tags (question_count, name);

CREATE TABLE thread_tags (
    thread_id BIGINT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags (id),
    PRIMARY KEY (thread_id, tag_id)
);
CREATE INDEX thread_tags_tag ON thread_tags (tag_id, thread_id);
