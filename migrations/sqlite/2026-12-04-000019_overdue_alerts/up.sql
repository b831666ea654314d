-- Overdue threads can mail the team: the owner turns it on or off with the business hours,
-- and each wait is announced once (the start of the wait that was announced is kept).
ALTER TABLE business_hours ADD COLUMN alert_overdue BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE threads ADD COLUMN overdue_alerted_for TIMESTAMP;
