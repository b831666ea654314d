-- How many distinct readers a question had: counted in memory (one salted hash per reader
-- and thread, the salt replaced daily; no address is stored) and added here in batches.
ALTER TABLE threads ADD COLUMN view_count BIGINT NOT NULL DEFAULT 0;
