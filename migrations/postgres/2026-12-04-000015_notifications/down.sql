ALTER TABLE users DROP COLUMN unread_notifications;
DROP TABLE notifications;
DROP TABLE subscriptions;
