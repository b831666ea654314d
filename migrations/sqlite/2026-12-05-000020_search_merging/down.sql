INSERT INTO fulltext_threads (fulltext_threads, rank) VALUES ('usermerge', 4);
INSERT INTO fulltext_answers (fulltext_answers, rank) VALUES ('usermerge', 4);
