DROP INDEX threads_waiting;
ALTER TABLE threads DROP COLUMN first_team_answer_at;
ALTER TABLE threads DROP COLUMN first_answer_at;
ALTER TABLE threads DROP COLUMN assigned_to;
ALTER TABLE threads DROP COLUMN queue_state;
ALTER TABLE threads DROP COLUMN waiting_since;
DROP TABLE business_hours;
