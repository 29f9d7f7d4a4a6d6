-- The outbox: every received event, the deliveries it produced, and every attempt.
-- Applied by `wrangler d1 migrations apply` on Workers and at start-up on Node.
CREATE TABLE IF NOT EXISTS events (
  id           TEXT PRIMARY KEY,
  events_id    TEXT NOT NULL,
  object_id    TEXT NOT NULL,
  received_at  INTEGER NOT NULL,
  payload      TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  duplicate_of TEXT,
  -- Set when the event has been routed: the rules that matched and why the others did not.
  routed_at    INTEGER,
  plan         TEXT
);
CREATE INDEX IF NOT EXISTS events_unrouted ON events (received_at) WHERE routed_at IS NULL;
CREATE INDEX IF NOT EXISTS events_received ON events (received_at);
CREATE INDEX IF NOT EXISTS events_fingerprint ON events (fingerprint, received_at);
CREATE TABLE IF NOT EXISTS deliveries (
  id           INTEGER PRIMARY KEY,
  event_id     TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  rule         TEXT NOT NULL,
  destination  TEXT NOT NULL,
  type         TEXT NOT NULL,
  message      TEXT NOT NULL,
  render_error TEXT,
  status       TEXT NOT NULL,
  attempts     INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  next_at      INTEGER NOT NULL,
  last_error   TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (destination, status, next_at);
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries (event_id);
-- The dispatcher asks for the earliest pending delivery after every batch: without this it reads
-- the whole table, delivered rows included.
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (next_at) WHERE status = 'pending';
CREATE TABLE IF NOT EXISTS attempts (
  delivery_id  INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  at           INTEGER NOT NULL,
  ok           INTEGER NOT NULL,
  detail       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_delivery ON attempts (delivery_id);
