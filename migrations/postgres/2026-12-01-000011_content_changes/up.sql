-- Nodes keep rendered pages for readers in memory; they must hear at once when content
-- changes, whichever node (or command) changed it. Every statement that changes what a page
-- shows sends a notification on the 'stoa_content' channel, delivered when its transaction
-- commits (PostgreSQL sends one per channel and transaction, however many statements ran).
CREATE FUNCTION stoa_content_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('stoa_content', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_content_changed();
CREATE TRIGGER categories_changed AFTER INSERT OR UPDATE OR DELETE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_content_changed();
CREATE TRIGGER threads_changed AFTER INSERT OR UPDATE OR DELETE ON threads
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_content_changed();
CREATE TRIGGER posts_changed AFTER INSERT OR UPDATE OR DELETE ON posts
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_content_changed();
CREATE TRIGGER comments_changed AFTER INSERT OR UPDATE OR DELETE ON comments
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_content_changed();
CREATE TRIGGER tags_changed AFTER INSERT OR UPDATE OR DELETE ON tags
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_content_changed();
CREATE TRIGGER thread_tags_changed AFTER INSERT OR UPDATE OR DELETE ON thread_tags
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_content_changed();
CREATE TRIGGER post_origins_changed AFTER INSERT OR UPDATE OR DELETE ON post_origins
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_content_changed();
