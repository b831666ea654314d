DROP TRIGGER post_origins_changed ON post_origins;
DROP TRIGGER thread_tags_changed ON thread_tags;
DROP TRIGGER tags_changed ON tags;
DROP TRIGGER comments_changed ON comments;
DROP TRIGGER posts_changed ON posts;
DROP TRIGGER threads_changed ON threads;
DROP TRIGGER categories_changed ON categories;
DROP TRIGGER users_changed ON users;
DROP FUNCTION stoa_content_changed();
