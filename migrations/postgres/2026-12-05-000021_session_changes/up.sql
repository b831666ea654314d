-- Nodes keep signed-in sessions in memory while the content generation holds. A session
-- ended on one node (a log-out, a password change ending the others) or cut short must end
-- on every node at once, so those writes notify like content changes do. Using a session
-- (last_seen_at) does not: it happens all the time, and its idle limit is checked from time.
CREATE TRIGGER sessions_ended AFTER UPDATE OF expires_at OR DELETE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_content_changed();
