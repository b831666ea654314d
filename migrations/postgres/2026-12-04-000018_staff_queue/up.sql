-- The staff queue: which threads wait for a reply from the team, since when, who has them,
-- and the business hours waiting is counted in.

-- One row: the team's working days and hours in the community's time zone, and how many
-- business hours a reply may take before the thread shows as overdue.
CREATE TABLE business_hours (
    id BIGINT PRIMARY KEY,
    time_zone TEXT NOT NULL,
    days TEXT NOT NULL,                     -- ISO weekdays, e.g. 1,2,3,4,5
    opens TEXT NOT NULL,                    -- HH:MM
    closes TEXT NOT NULL,
    target_hours INTEGER NOT NULL
);
INSERT INTO business_hours (id, time_zone, days, opens, closes, target_hours)
VALUES (1, 'UTC', '1,2,3,4,5', '09:00', '17:00', 8);

-- Set by a customer's post when the team has not replied since (kept while more customers
-- post), cleared by the team's answer or comment. Kept in the post's transaction.
ALTER TABLE threads ADD COLUMN waiting_since TIMESTAMP;
-- open | waiting_on_customer | done; a customer's new post opens it again.
ALTER TABLE threads ADD COLUMN queue_state TEXT NOT NULL DEFAULT 'open';
ALTER TABLE threads ADD COLUMN assigned_to BIGINT REFERENCES users (id);
-- For response times: the first answer, and the team's first answer.
ALTER TABLE threads ADD COLUMN first_answer_at TIMESTAMP;
ALTER TABLE threads ADD COLUMN first_team_answer_at TIMESTAMP;
CREATE INDEX threads_waiting ON threads (waiting_since, id) WHERE waiting_since IS NOT NULL;
