-- Watching and notifications: who hears of what happens in the community.

-- A member watches a thread (automatically when they ask, answer or comment), a tag or a
-- category. Unwatching deletes the row.
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    target_kind TEXT NOT NULL,              -- thread | tag | category
    target_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (target_kind, target_id, user_id)
);
CREATE INDEX subscriptions_by_user ON subscriptions (user_id, target_kind, target_id);

-- One row per thing a member should hear of. (user_id, kind, subject_id) is unique, so an
-- event reported twice (a retried request, two paths to one member) notifies once. The
-- subject is the post (answer, staff_answer, accepted, question, mention) or the comment
-- (comment, comment_mention) that caused it.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    thread_id BIGINT NOT NULL REFERENCES threads (id),
    actor_id BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP,
    UNIQUE (user_id, kind, subject_id)
);
CREATE INDEX notifications_by_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

-- The bell's number, kept beside the account so a page's session lookup brings it along;
-- recounted from notifications in the transaction that changes them.
ALTER TABLE users ADD COLUMN unread_notifications INTEGER NOT NULL DEFAULT 0;
