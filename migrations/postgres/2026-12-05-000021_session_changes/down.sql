DROP TRIGGER sessions_ended ON sessions;
