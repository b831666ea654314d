-- Votes on posts, each post's score (kept equal to the sum of its votes in the same
-- transaction), and each thread's accepted answer.
ALTER TABLE posts ADD COLUMN score INTEGER NOT NULL DEFAULT 0;
ALTER TABLE threads ADD COLUMN accepted_answer_id BIGINT REFERENCES posts (id);

CREATE TABLE votes (
    id BIGSERIAL PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    value INTEGER NOT NULL CHECK (value IN (-1, 1)),
    created_at TIMESTAMP NOT NULL
);
-- One vote per member and post.
CREATE UNIQUE INDEX votes_post_user ON votes (post_id, user_id);
CREATE INDEX votes_user_id ON votes (user_id);

-- The "active" list, and the filtered lists (partial indexes keep each one a range scan).
CREATE INDEX threads_active ON threads (last_activity_at, id);
CREATE INDEX threads_category_active ON threads (category_id, last_activity_at, id);
CREATE INDEX threads_unanswered ON threads (created_at, id) WHERE answer_count = 0;
CREATE INDEX threads_unsolved ON threads (created_at, id) WHERE accepted_answer_id IS NULL;
CREATE INDEX threads_solved ON threads (created_at, id) WHERE accepted_answer_id IS NOT NULL;
