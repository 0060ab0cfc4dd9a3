-- The update and backup rules look up each installation's latest handover;
-- without this index that is a scan of every handover per installation.
CREATE INDEX handover_installation ON handover (installation_id, held_on);
