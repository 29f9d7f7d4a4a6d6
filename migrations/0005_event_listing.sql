-- `events --status dead` starts from the dead deliveries rather than reading every event, and
-- one for a status a digest has (failed, pending, held) from the digest to the deliveries merged
-- into it. Both are partial: a delivery that is neither dead nor merged adds nothing to them.
CREATE INDEX IF NOT EXISTS deliveries_dead ON deliveries (event_id) WHERE status = 'dead';
CREATE INDEX IF NOT EXISTS deliveries_merged ON deliveries (merged_into) WHERE merged_into IS NOT NULL;
