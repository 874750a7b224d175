-- Flags that put a sheet in review without a disagreement of numbers (the
-- same photo sent for two stations), with the reason a reviewer reads.
-- Keep in step with ../postgres/0002_flags.sql.
CREATE TABLE flags (
    id INTEGER PRIMARY KEY,
    station TEXT NOT NULL REFERENCES stations (id),
    reason TEXT NOT NULL,
    sha256 TEXT,
    who INTEGER REFERENCES witnesses (id),
    at INTEGER NOT NULL
);
CREATE INDEX flags_station ON flags (station);
