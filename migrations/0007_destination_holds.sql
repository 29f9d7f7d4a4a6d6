-- Until when a Retry-After holds back a destination (a Slack channel). The deliveries waiting then
-- are postponed with it; this row holds back those routed after it too, across a restart of the
-- server and, on Workers, in every isolate. One row per destination, kept: a few bytes each.
CREATE TABLE IF NOT EXISTS destination_holds (
  destination TEXT PRIMARY KEY,
  until       INTEGER NOT NULL
);
