DROP TABLE posts;
DROP TABLE threads;
DROP TABLE categories;
DROP TABLE email_tokens;
DROP TABLE sessions;
DROP TABLE users;
