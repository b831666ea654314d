-- A tag's questions, newest first, straight from one index: each tag row carries its
-- thread's creation time (set with the row; a thread's creation time never changes). Before,
-- a popular tag's list gathered every tagged thread and sorted them (0.15 s at 1M posts).
ALTER TABLE thread_tags ADD COLUMN thread_created_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE thread_tags SET thread_created_at = (SELECT created_at FROM threads WHERE threads.id = thread_tags.thread_id);
CREATE INDEX thread_tags_tag_newest ON thread_tags (tag_id, thread_created_at, thread_id);
