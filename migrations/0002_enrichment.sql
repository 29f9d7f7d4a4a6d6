-- What was fetched from the VCS CoreAPI while routing, and why anything was not (a JSON list).
ALTER TABLE events ADD COLUMN enrichment TEXT;
