ALTER TABLE threads DROP COLUMN overdue_alerted_for;
ALTER TABLE business_hours DROP COLUMN alert_overdue;
