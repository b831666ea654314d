DROP INDEX notifications_by_time;
ALTER TABLE users DROP COLUMN digest_queued_at;
DROP TABLE mail_jobs;
DROP TABLE email_preferences;
