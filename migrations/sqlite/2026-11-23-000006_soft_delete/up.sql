-- Soft delete: a deleted post (or a whole thread, when its question is deleted) is hidden from
-- others but kept, so its author and moderators can see and restore it.
ALTER TABLE posts ADD COLUMN deleted_at TIMESTAMP;
ALTER TABLE posts ADD COLUMN deleted_by BIGINT REFERENCES users (id);
ALTER TABLE threads ADD COLUMN deleted_at TIMESTAMP;
