-- Notifications by email: each member chooses, per kind, instantly, a daily digest or never;
-- a queue of mails that the background worker sends with retries, never the request itself.

CREATE TABLE email_preferences (
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,                     -- a notification kind
    delivery TEXT NOT NULL,                 -- instant | digest | never
    PRIMARY KEY (user_id, kind)
);

-- One mail to send: one notification (instant) or the digest of everything since
-- digest_since. A worker claims due rows for a while (claimed_until); a failure sets
-- run_after later and keeps the error.
CREATE TABLE mail_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    notification_id BIGINT REFERENCES notifications (id),
    digest_since TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    run_after TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    claimed_until TIMESTAMP,
    last_error TEXT,
    sent_at TIMESTAMP
);
CREATE INDEX mail_jobs_due ON mail_jobs (run_after, id) WHERE sent_at IS NULL;

-- When the member's last digest was queued: the next one holds what came after, a day later.
ALTER TABLE users ADD COLUMN digest_queued_at TIMESTAMP;
-- Finding members with something for a digest walks notifications by time.
CREATE INDEX notifications_by_time ON notifications (created_at);
