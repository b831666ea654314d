DROP TABLE staff_notes;
DROP INDEX threads_official;
ALTER TABLE threads DROP COLUMN official_answer_id;
