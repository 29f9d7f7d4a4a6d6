-- The release stage asks for the next timed hold (a send window, flap damping) after every change:
-- without this index it read every delivery held in a group as well, which a burst makes many.
CREATE INDEX IF NOT EXISTS deliveries_held_timed ON deliveries (next_at) WHERE status = 'held' AND hold IN ('window', 'flap');
