-- The version of the commit that last changed what is held about each
-- station (its units and registered voters, entries, sheet, transitions and
-- their log leaves, decisions, photos, flags): the public view and the cache
-- of station records re-read only the stations stamped after the version
-- they were read at.
ALTER TABLE stations ADD COLUMN changed BIGINT NOT NULL DEFAULT 0;
CREATE INDEX stations_changed ON stations (changed);
