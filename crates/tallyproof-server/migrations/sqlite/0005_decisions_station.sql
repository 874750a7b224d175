-- A station's decisions, read by every look-up of it (the other tables of a
-- station's record have their index since 0001 and 0003).
CREATE INDEX decisions_station ON decisions (station);
