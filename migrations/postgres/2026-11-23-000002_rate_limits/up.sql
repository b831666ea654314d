-- Fixed-window counters for rate limits, shared by every node (one row per bucket, such as
-- "login:ip:203.0.113.7"). Rows of windows that have ended are purged hourly.
CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY,
    window_start TIMESTAMP NOT NULL,
    hits INTEGER NOT NULL
);
CREATE INDEX rate_limits_window_start ON rate_limits (window_start);
