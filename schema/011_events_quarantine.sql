-- 011_events_quarantine: event rows that PostgreSQL refused on their own
-- merit (a value out of range, a byte sequence that is not UTF-8, a CHECK
-- that fails). heraldd splits a COPY batch that fails on such a row until
-- the row is alone, writes its neighbours and parks the row here with the
-- server's error, so an operator (or a profile writer) can see what came
-- in and why it was not kept. The line is the COPY text line exactly as
-- heraldd formatted it, kept as bytes because it may not be valid text.

CREATE TABLE events_quarantine (
	uid		bigint PRIMARY KEY,
	quarantined_at	timestamptz NOT NULL DEFAULT now(),
	instance	text NOT NULL,
	sqlstate	text,
	error		text NOT NULL,
	-- Where in the row, e.g. 'COPY events, line 1, column slot: "4294967295"'.
	context		text,
	line		bytea NOT NULL
);
COMMENT ON TABLE events_quarantine IS
	'event rows refused by the events table, with the error; '
	'encode(line, ''escape'') shows the row';
CREATE INDEX events_quarantine_at ON events_quarantine (quarantined_at);
