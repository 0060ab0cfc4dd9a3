-- Authority and a typed ledger.

-- People: administrators of their organisation, and people who left.
ALTER TABLE person ADD COLUMN admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1));
ALTER TABLE person ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1));

-- A retired installation leaves the reports and takes no more writes.
ALTER TABLE installation ADD COLUMN retired INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1));

-- The template marks its special rows by kind, so the rules read who may
-- record a backup, run an update cycle or move a ticket from the letters of
-- the row of that kind; and it says which tasks may be waived.
ALTER TABLE template_task ADD COLUMN kind TEXT NOT NULL DEFAULT 'task' CHECK (kind IN
    ('task', 'handover', 'backups', 'updates', 'update-testing', 'tickets', 'resolution'));
ALTER TABLE template_task ADD COLUMN waivable INTEGER NOT NULL DEFAULT 0 CHECK (waivable IN (0, 1));
UPDATE template_task SET kind = 'handover' WHERE key = 'handover';
UPDATE template_task SET kind = 'backups' WHERE key = 'backup';
UPDATE template_task SET kind = 'updates' WHERE key = 'updates';
UPDATE template_task SET kind = 'update-testing' WHERE key = 'update-testing';
UPDATE template_task SET kind = 'tickets' WHERE key = 'support-tickets';
UPDATE template_task SET kind = 'resolution' WHERE key = 'issue-resolution';
UPDATE template_task SET waivable = 1 WHERE key IN ('integration', 'user-migration');

-- Typed events: `format` 2 events carry their change as JSON in `data`,
-- hashed with the rest; format 1 events are those of the first release.
ALTER TABLE event ADD COLUMN format INTEGER NOT NULL DEFAULT 1 CHECK (format IN (1, 2));
ALTER TABLE event ADD COLUMN data TEXT;

-- An update cycle can now be cancelled by the vendor. SQLite cannot change a
-- CHECK constraint in place, so the table is rebuilt with its rows.
CREATE TABLE update_cycle_new (
    installation_id TEXT NOT NULL REFERENCES installation (id),
    number          INTEGER NOT NULL CHECK (number >= 1),
    version         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN
        ('preparing', 'updating_dev', 'testing_dev', 'updating_prod', 'accepting', 'signed_off', 'cancelled')),
    snapshot        INTEGER NOT NULL DEFAULT 0 CHECK (snapshot IN (0, 1)),
    access          INTEGER NOT NULL DEFAULT 0 CHECK (access IN (0, 1)),
    failures        INTEGER NOT NULL DEFAULT 0,
    started_by      TEXT NOT NULL REFERENCES person (handle),
    started_at      TEXT NOT NULL,
    since           TEXT NOT NULL,
    signed_off_at   TEXT,
    PRIMARY KEY (installation_id, number)
) STRICT, WITHOUT ROWID;
INSERT INTO update_cycle_new SELECT * FROM update_cycle;
DROP TABLE update_cycle;
ALTER TABLE update_cycle_new RENAME TO update_cycle;
CREATE INDEX update_cycle_state ON update_cycle (state);

-- Ticket references are unique per installation ignoring case (enforced by
-- the use case, which this index makes a search).
CREATE INDEX ticket_ref_nocase ON ticket (installation_id, ref COLLATE NOCASE);
