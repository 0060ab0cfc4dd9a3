-- A tamper-evident ledger: each event carries the SHA-256 of its content and
-- of the event before it (a hash chain per database). Events written before
-- this migration are chained by the store right after it runs.
ALTER TABLE event ADD COLUMN prev_hash TEXT;
ALTER TABLE event ADD COLUMN hash TEXT;
