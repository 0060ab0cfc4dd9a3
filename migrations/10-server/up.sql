-- Server mode: who signs in, and through what each event came.

-- Each event says how it came: the local command line (and every event from
-- before the server existed), the API (the remote CLI included) or the web
-- pages; an API or web event names the token or session that carried it.
-- Both are hashed with the rest of a typed event when they are not the
-- command line's.
ALTER TABLE event ADD COLUMN channel TEXT NOT NULL DEFAULT 'cli' CHECK (channel IN ('cli', 'api', 'web'));
ALTER TABLE event ADD COLUMN token_id TEXT;

-- Credentials are kept beside the ledger, not in it: a secret never enters an
-- event. Their lifecycle (a password set, an invitation, a token created or
-- revoked) is recorded as events; the secrets are stored only as hashes.

-- A person's password, as an argon2id PHC string.
CREATE TABLE password (
    handle TEXT PRIMARY KEY REFERENCES person (handle),
    hash   TEXT NOT NULL,
    set_at TEXT NOT NULL
) STRICT;

-- One-time invitation codes (SHA-256 of the code); a newer one voids the older.
CREATE TABLE invitation (
    code_hash  TEXT PRIMARY KEY,
    handle     TEXT NOT NULL REFERENCES person (handle),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    voided_at  TEXT
) STRICT;
CREATE INDEX invitation_handle ON invitation (handle);

-- Personal tokens and browser sessions: a random secret of 256 bits, stored
-- as its SHA-256. A session also keeps its CSRF token and expires when idle.
CREATE TABLE token (
    id           TEXT PRIMARY KEY,
    handle       TEXT NOT NULL REFERENCES person (handle),
    kind         TEXT NOT NULL CHECK (kind IN ('personal', 'session')),
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    read_only    INTEGER NOT NULL DEFAULT 0 CHECK (read_only IN (0, 1)),
    csrf         TEXT,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT,
    last_used_at TEXT
) STRICT;
CREATE INDEX token_handle ON token (handle);
