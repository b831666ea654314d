-- The SQLite twin of this migration tells FTS5 to merge its index segments sooner.
-- PostgreSQL's GIN index has no segments to merge: nothing changes here, and the version is
-- kept so that both databases go through the same list of migrations.
SELECT 1;
