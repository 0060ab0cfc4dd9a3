-- raci's schema. Never edit a released migration: add the next one.
-- PRAGMAs (foreign_keys, journal_mode, busy_timeout) are per connection and
-- are set by the store when it opens the file, not here.

-- Key/value settings of the template, e.g. the vendor's display name.
CREATE TABLE setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- The RACI matrix: one row per task of the seed's table.
-- Letters are stored as comma-separated sets ("R,A"); the seed's own cell
-- text is kept beside them so `raci matrix` reproduces the source verbatim.
CREATE TABLE template_task (
    key                TEXT PRIMARY KEY,
    position           INTEGER NOT NULL UNIQUE,
    title              TEXT NOT NULL,
    vendor_letters     TEXT NOT NULL,
    subscriber_letters TEXT NOT NULL,
    vendor_cell        TEXT NOT NULL,
    subscriber_cell    TEXT NOT NULL,
    notes              TEXT NOT NULL,
    role_party         TEXT CHECK (role_party IN ('vendor', 'subscriber')),
    role               TEXT,
    recurring          INTEGER NOT NULL DEFAULT 0 CHECK (recurring IN (0, 1)),
    CHECK ((role_party IS NULL) = (role IS NULL))
) STRICT;

CREATE TABLE template_predecessor (
    task        TEXT NOT NULL REFERENCES template_task (key),
    predecessor TEXT NOT NULL REFERENCES template_task (key),
    PRIMARY KEY (task, predecessor)
) STRICT, WITHOUT ROWID;

CREATE TABLE template_item (
    task     TEXT NOT NULL REFERENCES template_task (key),
    item     TEXT NOT NULL,
    position INTEGER NOT NULL,
    owner    TEXT NOT NULL CHECK (owner IN ('vendor', 'subscriber')),
    label    TEXT NOT NULL,
    PRIMARY KEY (task, item)
) STRICT, WITHOUT ROWID;

CREATE TABLE person (
    handle     TEXT PRIMARY KEY,
    name       TEXT,
    email      TEXT,
    party      TEXT NOT NULL CHECK (party IN ('vendor', 'subscriber')),
    role       TEXT NOT NULL,
    subscriber TEXT,
    login      TEXT,
    created_at TEXT NOT NULL,
    CHECK ((party = 'subscriber') = (subscriber IS NOT NULL))
) STRICT;

CREATE TABLE installation (
    id           TEXT PRIMARY KEY,
    subscriber   TEXT NOT NULL,
    appliance_id TEXT,
    created_at   TEXT NOT NULL
) STRICT;

CREATE INDEX installation_subscriber ON installation (subscriber);

-- One row per installation and template task. `since` is when the state
-- last changed; `blocked_from` is the state a blocked task returns to.
CREATE TABLE task (
    installation_id TEXT NOT NULL REFERENCES installation (id),
    task_key        TEXT NOT NULL REFERENCES template_task (key),
    state           TEXT NOT NULL CHECK (state IN
        ('pending', 'in_progress', 'submitted', 'signed_off', 'waived', 'blocked', 'recurring')),
    blocked_from    TEXT CHECK (blocked_from IN ('pending', 'in_progress', 'submitted')),
    due             TEXT,
    since           TEXT NOT NULL,
    PRIMARY KEY (installation_id, task_key),
    CHECK ((state = 'blocked') = (blocked_from IS NOT NULL))
) STRICT, WITHOUT ROWID;

CREATE INDEX task_state ON task (state, installation_id);

CREATE TABLE checklist_item (
    installation_id TEXT NOT NULL,
    task_key        TEXT NOT NULL,
    item            TEXT NOT NULL,
    position        INTEGER NOT NULL,
    owner           TEXT NOT NULL CHECK (owner IN ('vendor', 'subscriber')),
    checked_by      TEXT REFERENCES person (handle),
    checked_at      TEXT,
    note            TEXT,
    PRIMARY KEY (installation_id, task_key, item),
    FOREIGN KEY (installation_id, task_key) REFERENCES task (installation_id, task_key),
    CHECK ((checked_by IS NULL) = (checked_at IS NULL))
) STRICT, WITHOUT ROWID;

CREATE TABLE handover (
    id              INTEGER PRIMARY KEY,
    installation_id TEXT NOT NULL REFERENCES installation (id),
    held_on         TEXT NOT NULL,
    minutes         INTEGER NOT NULL CHECK (minutes >= 90),
    attendees       TEXT NOT NULL,
    topics          TEXT NOT NULL,
    recorded_by     TEXT NOT NULL REFERENCES person (handle),
    recorded_at     TEXT NOT NULL
) STRICT;

-- The audit trail: append-only, one row per change, written in the same
-- transaction as the change it records.
CREATE TABLE event (
    id              INTEGER PRIMARY KEY,
    installation_id TEXT REFERENCES installation (id),
    at              TEXT NOT NULL,
    actor           TEXT REFERENCES person (handle),
    party           TEXT CHECK (party IN ('vendor', 'subscriber')),
    role            TEXT,
    action          TEXT NOT NULL,
    task            TEXT,
    from_state      TEXT,
    to_state        TEXT,
    note            TEXT
) STRICT;

CREATE INDEX event_installation ON event (installation_id, id);
