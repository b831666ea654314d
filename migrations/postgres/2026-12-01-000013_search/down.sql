DROP TABLE search_settings;
DROP TABLE search_jobs;
DROP TABLE fulltext_answers;
DROP TABLE fulltext_threads;
DROP TEXT SEARCH CONFIGURATION stoa_english;
