ALTER TABLE threads DROP COLUMN deleted_at;
ALTER TABLE posts DROP COLUMN deleted_by;
ALTER TABLE posts DROP COLUMN deleted_at;
