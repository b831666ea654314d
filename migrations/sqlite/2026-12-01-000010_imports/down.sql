DROP TABLE post_origins;
DROP TABLE import_map;
