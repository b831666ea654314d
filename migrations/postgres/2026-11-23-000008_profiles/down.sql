DROP INDEX posts_author_created;
ALTER TABLE users DROP COLUMN bio;
