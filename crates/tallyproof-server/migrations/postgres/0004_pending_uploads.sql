-- The QR decoder's queue is the photos still pending, oldest first: an
-- index of those alone, so that taking the next ones never scans the
-- stored images.
CREATE INDEX uploads_pending ON uploads (at, sha256) WHERE qr_status = 'pending';
