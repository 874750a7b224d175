-- tallyproof-server schema, SQLite. Keep in step with ../postgres/0001_init.sql
-- (same tables, columns and constraints). Never edit an applied migration:
-- add a new numbered file.

-- Stations known to the service: from the registry or from imported sheets.
-- units: JSON array, per level of the config, of [code, name].
CREATE TABLE stations (
    id TEXT PRIMARY KEY,
    units TEXT NOT NULL,
    registered INTEGER
);

-- People with a token. Only the token's SHA-256 is kept.
-- prefixes: JSON array of station-id prefixes; empty means every station.
CREATE TABLE witnesses (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('witness', 'reviewer', 'admin')),
    prefixes TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- Every transcription, import and decoded QR code. Never updated except for
-- its state, which only moves submitted -> matched | disputed.
CREATE TABLE entries (
    id INTEGER PRIMARY KEY,
    station TEXT NOT NULL REFERENCES stations (id),
    kind TEXT NOT NULL CHECK (kind IN ('import', 'scan', 'witness', 'official')),
    witness_id INTEGER REFERENCES witnesses (id),
    counts TEXT NOT NULL,
    origin TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('submitted', 'matched', 'disputed')),
    idempotency_key TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (witness_id, idempotency_key)
);
CREATE INDEX entries_station ON entries (station);

-- One row per station with at least one entry. counted_entry: the entry
-- whose numbers count (none while pending).
CREATE TABLE sheets (
    station TEXT PRIMARY KEY REFERENCES stations (id),
    state TEXT NOT NULL CHECK (state IN ('pending', 'agreed', 'in-review', 'resolved')),
    counted_entry INTEGER REFERENCES entries (id),
    updated_at INTEGER NOT NULL
);
CREATE INDEX sheets_state ON sheets (state);

-- Every state change of an entry or a sheet: who (none: an import), when,
-- and the log leaf that records it, once appended.
CREATE TABLE transitions (
    id INTEGER PRIMARY KEY,
    station TEXT NOT NULL,
    subject TEXT NOT NULL CHECK (subject IN ('entry', 'sheet')),
    entry_id INTEGER REFERENCES entries (id),
    from_state TEXT,
    to_state TEXT NOT NULL,
    who INTEGER REFERENCES witnesses (id),
    at INTEGER NOT NULL,
    leaf INTEGER
);
CREATE INDEX transitions_station ON transitions (station);

-- Reviewers' decisions.
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    station TEXT NOT NULL REFERENCES stations (id),
    reviewer INTEGER NOT NULL REFERENCES witnesses (id),
    entry_id INTEGER NOT NULL REFERENCES entries (id),
    note TEXT NOT NULL,
    at INTEGER NOT NULL
);

-- Photos, by the SHA-256 of their bytes. qr_status: pending (not decoded
-- yet), read, unread.
CREATE TABLE uploads (
    sha256 TEXT PRIMARY KEY,
    content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    bytes BLOB NOT NULL,
    station TEXT,
    uploaded_by INTEGER REFERENCES witnesses (id),
    at INTEGER NOT NULL,
    qr_status TEXT NOT NULL CHECK (qr_status IN ('pending', 'read', 'unread')),
    qr_station TEXT,
    qr_reason TEXT
);

-- A counter bumped by every change, for caches and ETags.
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO meta (key, value) VALUES ('version', 0);
