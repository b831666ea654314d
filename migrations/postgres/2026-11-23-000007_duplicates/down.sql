DROP INDEX threads_duplicate_of;
ALTER TABLE threads DROP COLUMN duplicate_of;
ALTER TABLE threads DROP COLUMN closed_by;
ALTER TABLE threads DROP COLUMN closed_at;
