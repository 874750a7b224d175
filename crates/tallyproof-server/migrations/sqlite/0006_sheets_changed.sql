-- The version of the commit that last changed each sheet (its state, its
-- counted entry, or its station's units or registered voters): the public
-- view re-reads only the sheets stamped after the version it was built at.
-- A write marks the rows it changes -1 and stamps them as it commits.
ALTER TABLE sheets ADD COLUMN changed BIGINT NOT NULL DEFAULT 0;
CREATE INDEX sheets_changed ON sheets (changed);
