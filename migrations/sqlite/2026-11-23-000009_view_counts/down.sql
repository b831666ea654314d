ALTER TABLE threads DROP COLUMN view_count;
