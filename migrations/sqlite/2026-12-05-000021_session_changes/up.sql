-- The PostgreSQL twin of this migration makes ending a session notify the other nodes.
-- SQLite's change watch sees every commit (PRAGMA data_version): nothing changes here, and
-- the version is kept so that both databases go through the same list of migrations.
SELECT 1;
