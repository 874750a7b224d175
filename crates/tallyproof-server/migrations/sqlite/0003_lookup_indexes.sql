-- Indexes for the look-ups of every request, measured at 1,000,000 sheets
-- (docs/benchmarks.md): the time of the last change (MAX over sheets) and a
-- station's photos (by the station it was sent for or the one its QR code
-- names). Without them both scan their table; the photos' scan reads every
-- stored image.
CREATE INDEX sheets_updated_at ON sheets (updated_at);
CREATE INDEX uploads_station ON uploads (station);
CREATE INDEX uploads_qr_station ON uploads (qr_station);
