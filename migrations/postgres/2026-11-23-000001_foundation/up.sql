-- Foundation: accounts, sessions, email tokens, categories, threads and posts.
-- Kept in lockstep with migrations/sqlite: same tables, same columns, same names.
-- Timestamps are UTC, written by the application with microsecond precision.

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,          -- lower case handle, used in URLs and @mentions
    display_name TEXT NOT NULL,
    email TEXT UNIQUE,                      -- lower case; NULL for accounts that cannot log in
    email_verified_at TIMESTAMP,
    password_hash TEXT,                     -- argon2id PHC string; NULL: cannot log in
    role TEXT NOT NULL DEFAULT 'member',    -- member | staff | moderator | owner
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX users_role ON users (role);

CREATE TABLE sessions (
    id BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,        -- SHA-256 of the cookie token; the token itself is never stored
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL           -- absolute expiry
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE email_tokens (
    id BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL,                  -- verify_email | reset_password | owner_setup
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    email TEXT,                             -- the address a verification link was sent to
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,                   -- NULL: valid until used
    used_at TIMESTAMP
);
CREATE INDEX email_tokens_user_id ON email_tokens (user_id);

CREATE TABLE categories (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE threads (
    id BIGSERIAL PRIMARY KEY,
    category_id BIGINT NOT NULL REFERENCES categories (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    slug TEXT NOT NULL,
    answer_count INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    last_activity_at TIMESTAMP NOT NULL
);
CREATE INDEX threads_created ON threads (created_at, id);
CREATE INDEX threads_category_created ON threads (category_id, created_at, id);
CREATE INDEX threads_author_id ON threads (author_id);

CREATE TABLE posts (
    id BIGSERIAL PRIMARY KEY,
    thread_id BIGINT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES users (id),
    is_question BOOLEAN NOT NULL,
    body_source TEXT NOT NULL,              -- Markdown as written
    body_html TEXT NOT NULL,                -- rendered and sanitized once, at write time
    idempotency_key TEXT,                   -- from the form; a double submit finds the first post
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX posts_thread_created ON posts (thread_id, created_at, id);
CREATE INDEX posts_author_id ON posts (author_id);
CREATE UNIQUE INDEX posts_one_question_per_thread ON posts (thread_id) WHERE is_question;
CREATE UNIQUE INDEX posts_idempotency ON posts (author_id, idempotency_key);
