-- `events --status duplicate` and `--status suppressed` start from the few rows in that state
-- rather than reading back through every event to the first. Partial, as those of 0005: an event
-- that repeats nothing and a delivery not held back for good add nothing to them.
CREATE INDEX IF NOT EXISTS events_duplicate ON events (received_at) WHERE duplicate_of IS NOT NULL;
CREATE INDEX IF NOT EXISTS deliveries_suppressed ON deliveries (event_id) WHERE status = 'suppressed';
