-- Let the server's upkeep merge a level of the full-text index as soon as it holds two
-- segments (FTS5 by itself merges when a level holds four, so a forum's writes leave up to
-- three segments on each level, and every search reads each of them). The upkeep runs the
-- merges in small steps (stoa_search::database::tidy_step). PostgreSQL's GIN index needs
-- nothing of the kind: its twin of this migration changes nothing.
INSERT INTO fulltext_threads (fulltext_threads, rank) VALUES ('usermerge', 2);
INSERT INTO fulltext_answers (fulltext_answers, rank) VALUES ('usermerge', 2);
