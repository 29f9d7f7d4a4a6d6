-- Telling people once: deliveries held in a group, outside a send window or for flap damping, held
-- back by a throttle, merged into a digest, or answering an earlier message (an incident).
-- deliveries.status gains 'held' (waits; released later), 'merged' (sent inside the digest
-- `merged_into`) and 'suppressed' (held back for good: throttled or damped; `note` says why).
ALTER TABLE deliveries ADD COLUMN hold TEXT;          -- group, window, flap, throttle, damped
ALTER TABLE deliveries ADD COLUMN note TEXT;          -- why it waits or was held back, as explain shows it
ALTER TABLE deliveries ADD COLUMN group_id INTEGER;   -- groups.id, for grouped deliveries and their digests
ALTER TABLE deliveries ADD COLUMN merged_into INTEGER;
ALTER TABLE deliveries ADD COLUMN context TEXT;       -- what a digest renders a grouped delivery with (JSON)
ALTER TABLE deliveries ADD COLUMN reply_to INTEGER;   -- the delivery whose message this one answers
ALTER TABLE deliveries ADD COLUMN ref TEXT;           -- what the far end calls the sent message: Slack ts, Message-ID
ALTER TABLE deliveries ADD COLUMN incident_id INTEGER;
CREATE INDEX IF NOT EXISTS deliveries_held ON deliveries (next_at) WHERE status = 'held';
CREATE INDEX IF NOT EXISTS deliveries_group ON deliveries (group_id, id) WHERE status = 'held';
CREATE INDEX IF NOT EXISTS deliveries_incident ON deliveries (incident_id) WHERE status = 'held';

-- One row per rule, destination and group key. `flush_at` is when what it holds goes out (NULL:
-- nothing waits); `last_flush_at` when it last sent, so that the next message waits group_interval.
CREATE TABLE IF NOT EXISTS groups (
  id            INTEGER PRIMARY KEY,
  rule          TEXT NOT NULL,
  destination   TEXT NOT NULL,
  key           TEXT NOT NULL,
  label         TEXT NOT NULL,
  flush_at      INTEGER,
  last_flush_at INTEGER,
  UNIQUE (rule, destination, key)
);
CREATE INDEX IF NOT EXISTS groups_due ON groups (flush_at) WHERE flush_at IS NOT NULL;

-- Messages sent per rule, destination and throttle key in the current period, and those held back
-- since the last one sent (the next message reports them).
CREATE TABLE IF NOT EXISTS throttles (
  rule         TEXT NOT NULL,
  destination  TEXT NOT NULL,
  key          TEXT NOT NULL,
  label        TEXT NOT NULL,
  period_start INTEGER NOT NULL,
  sent         INTEGER NOT NULL,
  held         INTEGER NOT NULL,
  held_since   INTEGER,
  version      INTEGER NOT NULL,
  PRIMARY KEY (rule, destination, key)
);

-- The latest incident per name and key: open, closing (its close is held for flap damping until
-- `closing_until`) or closed. `open_event` is the event whose messages the others answer.
CREATE TABLE IF NOT EXISTS incidents (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL,
  key           TEXT NOT NULL,
  label         TEXT NOT NULL,
  state         TEXT NOT NULL,
  open_event    TEXT NOT NULL,
  opened_at     INTEGER NOT NULL,
  opened_dt     TEXT NOT NULL,
  closing_until INTEGER,
  flaps         INTEGER NOT NULL,
  version       INTEGER NOT NULL,
  UNIQUE (name, key)
);

-- Never holds a row. A statement that inserts NULL here fails, and with it the transaction (or D1
-- batch) it is in: how a write made on stale state is refused on both runtimes.
CREATE TABLE IF NOT EXISTS conflicts (never INTEGER NOT NULL);
