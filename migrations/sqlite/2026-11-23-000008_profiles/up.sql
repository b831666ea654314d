-- A short bio on each member's profile.
ALTER TABLE users ADD COLUMN bio TEXT NOT NULL DEFAULT '';
-- A member's recent posts, newest first, on their profile.
CREATE INDEX posts_author_created ON posts (author_id, created_at, id);
