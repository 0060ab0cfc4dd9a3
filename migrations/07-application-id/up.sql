-- Mark the file as raci's ("raci" in ASCII), so that raci recognises its own
-- databases and leaves any other SQLite file alone.
PRAGMA application_id = 1918985065;
