-- Operations after the handover: update cycles, backups and support tickets.

-- One update cycle of one installation, numbered per installation.
-- `state` is where the cycle stands (see domain::operations::CycleState);
-- `since` is when it got there, i.e. since when the next move has been due.
CREATE TABLE update_cycle (
    installation_id TEXT NOT NULL REFERENCES installation (id),
    number          INTEGER NOT NULL CHECK (number >= 1),
    version         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN
        ('preparing', 'updating_dev', 'testing_dev', 'updating_prod', 'accepting', 'signed_off')),
    snapshot        INTEGER NOT NULL DEFAULT 0 CHECK (snapshot IN (0, 1)),
    access          INTEGER NOT NULL DEFAULT 0 CHECK (access IN (0, 1)),
    failures        INTEGER NOT NULL DEFAULT 0,
    started_by      TEXT NOT NULL REFERENCES person (handle),
    started_at      TEXT NOT NULL,
    since           TEXT NOT NULL,
    signed_off_at   TEXT,
    PRIMARY KEY (installation_id, number)
) STRICT, WITHOUT ROWID;

CREATE INDEX update_cycle_state ON update_cycle (state);

-- Backups the subscriber reports having taken.
CREATE TABLE backup_record (
    id              INTEGER PRIMARY KEY,
    installation_id TEXT NOT NULL REFERENCES installation (id),
    taken_on        TEXT NOT NULL,
    note            TEXT,
    recorded_by     TEXT NOT NULL REFERENCES person (handle),
    recorded_at     TEXT NOT NULL
) STRICT;

CREATE INDEX backup_record_installation ON backup_record (installation_id, taken_on);

-- Support tickets: the subscriber opens and closes, the vendor resolves.
CREATE TABLE ticket (
    installation_id TEXT NOT NULL REFERENCES installation (id),
    ref             TEXT NOT NULL,
    severity        TEXT NOT NULL CHECK (severity IN ('low', 'normal', 'high', 'urgent')),
    environment     TEXT NOT NULL CHECK (environment IN ('development', 'production')),
    summary         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('open', 'resolved', 'closed')),
    opened_by       TEXT NOT NULL REFERENCES person (handle),
    opened_at       TEXT NOT NULL,
    since           TEXT NOT NULL,
    PRIMARY KEY (installation_id, ref),
    CHECK (severity <> 'urgent' OR environment = 'production')
) STRICT, WITHOUT ROWID;

CREATE INDEX ticket_state ON ticket (state);

-- Events about a cycle or a ticket name it.
ALTER TABLE event ADD COLUMN cycle INTEGER;
ALTER TABLE event ADD COLUMN ticket TEXT;
