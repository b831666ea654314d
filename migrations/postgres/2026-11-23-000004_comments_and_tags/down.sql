DROP TABLE thread_tags;
DROP TABLE tags;
DROP TABLE comments;
ALTER TABLE posts DROP COLUMN comment_count;
