-- Content brought in from another community (a Stack Exchange data dump). The map says which
-- local row each source row became, so an import can run again, or resume after it was
-- stopped, without copying anything twice. Post origins keep whose words an imported post
-- is and where it was first published, shown beside it as its licence requires.
CREATE TABLE import_map (
    site TEXT NOT NULL,                     -- the source, e.g. beer.stackexchange.com
    kind TEXT NOT NULL,                     -- user | post | comment | former-member
    original_id BIGINT NOT NULL,            -- the row's id in the source
    local_id BIGINT NOT NULL,               -- the row it became here
    PRIMARY KEY (site, kind, original_id)
);

CREATE TABLE post_origins (
    post_id BIGINT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    site_name TEXT NOT NULL,                -- "Beer, Wine & Spirits Stack Exchange"
    url TEXT NOT NULL,                      -- the original question or answer
    author_name TEXT NOT NULL,
    author_url TEXT,                        -- the author's profile there, when known
    license TEXT NOT NULL                   -- e.g. "CC BY-SA 4.0"
);
