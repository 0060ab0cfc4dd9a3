-- Signed steps: SSH keys per person, a policy per organisation, and the
-- signature a step carries.

-- A signed command stores, on its first event, the canonical statement that
-- was signed (verbatim) and the armored SSH signature over it (`sshsig`,
-- namespace raci-step@v1); an offline statement applied by someone other
-- than its signer names who carried it. All three are hashed with the event.
ALTER TABLE event ADD COLUMN statement TEXT;
ALTER TABLE event ADD COLUMN signature TEXT;
ALTER TABLE event ADD COLUMN carrier TEXT;
-- An offline statement is used once.
CREATE UNIQUE INDEX event_statement ON event (statement) WHERE statement IS NOT NULL;

-- People's OpenSSH public keys, as the ledger's key-add and key-revoke events
-- left them. A revoked key keeps verifying the steps signed before its
-- revocation.
CREATE TABLE ssh_key (
    fingerprint TEXT PRIMARY KEY,
    handle      TEXT NOT NULL REFERENCES person (handle),
    key_type    TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    comment     TEXT NOT NULL,
    added_at    TEXT NOT NULL,
    revoked_at  TEXT
) STRICT;
CREATE INDEX ssh_key_handle ON ssh_key (handle);

-- Whether an organisation requires its people's steps to be signed: '' is
-- the vendor, any other value a subscriber's name as its people carry it.
CREATE TABLE policy (
    organisation       TEXT PRIMARY KEY,
    require_signatures INTEGER NOT NULL CHECK (require_signatures IN (0, 1)),
    set_by             TEXT NOT NULL,
    set_at             TEXT NOT NULL
) STRICT;
