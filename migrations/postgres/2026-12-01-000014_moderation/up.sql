-- Moderation: suspended and silenced accounts, locked, pinned and closed threads, posts hidden
-- by flags, the flags themselves, the review queue and the append-only audit log.

-- A suspended member cannot log in and has no live session; a silenced one reads but cannot
-- post. Each ends at its time; the reason is shown to the member.
ALTER TABLE users ADD COLUMN suspended_until TIMESTAMP;
ALTER TABLE users ADD COLUMN suspension_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN silenced_until TIMESTAMP;
ALTER TABLE users ADD COLUMN silence_reason TEXT NOT NULL DEFAULT '';

-- In "approval required" registration, a new account reads but does not post until a
-- moderator approves it.
ALTER TABLE users ADD COLUMN approved BOOLEAN NOT NULL DEFAULT TRUE;

-- Trust levels 0-3, earned from activity (days visited, posts, accepted answers) unless a
-- moderator set the level by hand (trust_level_locked).
ALTER TABLE users ADD COLUMN trust_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN trust_level_locked BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN visit_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_visit_at TIMESTAMP;
ALTER TABLE users ADD COLUMN posts_read INTEGER NOT NULL DEFAULT 0; -- posts on thread pages opened, once a thread a day
-- Promotion counts a member's accepted answers from the threads that accepted them.
CREATE INDEX threads_accepted_answer ON threads (accepted_answer_id) WHERE accepted_answer_id IS NOT NULL;
CREATE INDEX users_awaiting_approval ON users (created_at, id) WHERE NOT approved;

-- A locked thread takes no new answers or comments; a closed one (closed_at, already there
-- for duplicates) takes no answers, and close_reason says why when it is not a duplicate.
ALTER TABLE threads ADD COLUMN locked_at TIMESTAMP;
ALTER TABLE threads ADD COLUMN pinned_at TIMESTAMP;
ALTER TABLE threads ADD COLUMN close_reason TEXT;
CREATE INDEX threads_pinned ON threads (category_id, pinned_at) WHERE pinned_at IS NOT NULL;

-- A hidden post is a deleted post (deleted_at) waiting for a moderator's decision: readers
-- see nothing of it, as for any deletion, and the author sees why.
ALTER TABLE posts ADD COLUMN hidden_reason TEXT;

CREATE TABLE flags (
    id BIGSERIAL PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    reason TEXT NOT NULL,                   -- spam | rude | off_topic | needs_staff | other
    note TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    outcome TEXT,                           -- upheld | dismissed; NULL while it waits
    resolved_at TIMESTAMP,
    UNIQUE (post_id, user_id)
);
CREATE INDEX flags_by_user ON flags (user_id, created_at);

-- One open item per post; a moderator claims it for a few minutes, so the others' queue
-- skips it, and the first decision resolves it.
CREATE TABLE review_items (
    id BIGSERIAL PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts (id),
    kind TEXT NOT NULL,                     -- flagged | first_post | spam
    created_at TIMESTAMP NOT NULL,
    claimed_by BIGINT REFERENCES users (id),
    claimed_until TIMESTAMP,
    resolved_at TIMESTAMP,
    resolved_by BIGINT REFERENCES users (id),
    outcome TEXT,                           -- approved | hidden | deleted
    outcome_reason TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX review_items_open_per_post ON review_items (post_id) WHERE resolved_at IS NULL;
CREATE INDEX review_items_queue ON review_items (created_at, id) WHERE resolved_at IS NULL;

-- Addresses of accounts deleted as spammers: they cannot register again.
CREATE TABLE blocked_emails (
    email TEXT PRIMARY KEY,                 -- lower case, as accounts store it
    blocked_at TIMESTAMP NOT NULL,
    blocked_by BIGINT NOT NULL REFERENCES users (id)
);

-- Random values made once per installation and shared by every node: 'address_salt' makes
-- the keys under which rate limits count a network address (its salted hash, never the
-- address itself, kept only for the limit's window).
CREATE TABLE install_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- What the owner sets for the community (one row): who may register, whether reading needs
-- an account, its name, the description and the rules page.
CREATE TABLE community_settings (
    id BIGINT PRIMARY KEY,                  -- always 1
    registration TEXT NOT NULL DEFAULT 'open', -- open | approval | invite | closed
    login_required BOOLEAN NOT NULL DEFAULT FALSE,
    name TEXT NOT NULL DEFAULT '',          -- empty: the configured community_name
    description TEXT NOT NULL DEFAULT '',
    rules_source TEXT NOT NULL DEFAULT '',  -- Markdown
    rules_html TEXT NOT NULL DEFAULT ''     -- rendered and sanitized, as posts are
);
INSERT INTO community_settings (id) VALUES (1);

-- Who did what to whom, and why. Rows are only ever added.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    actor_id BIGINT NOT NULL REFERENCES users (id),
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,              -- thread | post | user | category | setting
    target_id BIGINT,
    target_label TEXT NOT NULL DEFAULT '',  -- the title or username at the time
    reason TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_recent ON audit_log (created_at, id);
CREATE INDEX audit_log_by_action ON audit_log (action, created_at, id);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id, created_at, id);
CREATE FUNCTION stoa_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION stoa_audit_log_append_only();
CREATE TRIGGER community_settings_changed AFTER INSERT OR UPDATE OR DELETE ON community_settings
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_content_changed();
