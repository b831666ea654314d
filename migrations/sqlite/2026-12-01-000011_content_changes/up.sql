-- Nodes keep rendered pages for readers in memory and must hear when content changes. On
-- SQLite every commit, by any connection or process, moves `PRAGMA data_version` as seen by
-- the other connections, so there is nothing to create here (PostgreSQL needs triggers).
SELECT 1;
