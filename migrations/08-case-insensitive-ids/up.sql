-- Handles and installation IDs are unique ignoring case; these indexes both
-- enforce it and make the case-insensitive look-up an index search (without
-- them each `installation add` and each imported row scanned the table).
CREATE UNIQUE INDEX person_handle_nocase ON person (handle COLLATE NOCASE);
CREATE UNIQUE INDEX installation_id_nocase ON installation (id COLLATE NOCASE);
