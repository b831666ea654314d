DROP INDEX thread_tags_tag_newest;
ALTER TABLE thread_tags DROP COLUMN thread_created_at;
