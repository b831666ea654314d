DROP INDEX threads_solved;
DROP INDEX threads_unsolved;
DROP INDEX threads_unanswered;
DROP INDEX threads_category_active;
DROP INDEX threads_active;
DROP TABLE votes;
ALTER TABLE threads DROP COLUMN accepted_answer_id;
ALTER TABLE posts DROP COLUMN score;
