-- 030_inventory: what the daily inventory import adds to the core tables.
-- The subscriber file and the device list are loaded into temporary staging
-- tables and merged in one transaction (daemon/inventory_import.c); this
-- migration holds what outlives an import: the record of each import, its
-- rejected lines, the contact preferences of accounts and a view that names
-- the place of every account.

-- How an account wants to be told of an outage. sms_opt_out (001) stays the
-- hard opt-out; contact is the preferred channel when it is not set.
ALTER TABLE subscribers
	ADD COLUMN contact text NOT NULL DEFAULT 'sms'
	    CHECK (contact IN ('sms', 'voice', 'none'));
COMMENT ON COLUMN subscribers.phones IS
	'normalised: mobiles as 11 digits, fixed lines as 0 + area code + number';

-- Deleting accounts, ONUs and splitters during a merge sets these foreign
-- keys to NULL; without an index each deleted row would scan the table.
CREATE INDEX IF NOT EXISTS notifications_subscriber
	ON notifications (subscriber_id) WHERE subscriber_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS onus_splitter
	ON onus (splitter_id) WHERE splitter_id IS NOT NULL;

CREATE TABLE inventory_imports (
	id		bigserial PRIMARY KEY,
	kind		text NOT NULL CHECK (kind IN ('subscribers', 'devices')),
	-- The URL with any user name and password removed.
	source		text NOT NULL,
	checksum	text NOT NULL,		-- sha256 of the bytes fetched
	bytes		bigint NOT NULL DEFAULT 0,
	started_at	timestamptz NOT NULL DEFAULT now(),
	finished_at	timestamptz,
	duration_ms	integer,
	result		text NOT NULL CHECK (result IN
			    ('ok', 'unchanged', 'failed')),
	rows_read	integer NOT NULL DEFAULT 0,
	rows_loaded	integer NOT NULL DEFAULT 0,
	rows_rejected	integer NOT NULL DEFAULT 0,
	added		integer NOT NULL DEFAULT 0,
	removed		integer NOT NULL DEFAULT 0,
	moved		integer NOT NULL DEFAULT 0,
	updated		integer NOT NULL DEFAULT 0,
	error		text,
	-- heraldctl or heraldd@host
	run_by		text NOT NULL DEFAULT current_user
);
CREATE INDEX inventory_imports_kind ON inventory_imports (kind, id);
COMMENT ON TABLE inventory_imports IS
	'one row per import attempt; the same file twice is recorded as unchanged';

-- The lines an import rejected (the first 10000 of each import).
CREATE TABLE inventory_import_errors (
	import_id	bigint NOT NULL REFERENCES inventory_imports
			    ON DELETE CASCADE,
	line		integer NOT NULL,
	reason		text NOT NULL,
	PRIMARY KEY (import_id, line)
);

-- Where each account is: what customer service reads and what the tests
-- compare the in-memory index with.
CREATE VIEW subscriber_locations AS
SELECT s.id AS subscriber_id, s.account, d.id AS device_id,
	d.name AS device, d.kind AS device_kind, b.id AS board_id, b.frame,
	b.slot, p.id AS port_id, p.port, sp.id AS splitter_id,
	sp.name AS splitter, o.id AS onu_ref, o.onu_id AS onu, o.serial,
	l.id AS dsl_line_id
FROM subscribers s
LEFT JOIN onus o ON o.id = s.onu_id
LEFT JOIN splitters sp ON sp.id = o.splitter_id
LEFT JOIN dsl_lines l ON l.id = s.dsl_line_id
LEFT JOIN ports p ON p.id = coalesce(o.port_id, l.port_id)
LEFT JOIN boards b ON b.id = p.board_id
LEFT JOIN devices d ON d.id = b.device_id;

-- A readable place for an ONU or a DSL line: "OLT-A 0/1/3:12", "DSLAM-B 0/2/7".
CREATE FUNCTION inventory_place(onu bigint, line bigint) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT d.name || ' ' || b.frame || '/' || b.slot || '/' || p.port ||
	    CASE WHEN o.id IS NOT NULL THEN ':' || o.onu_id ELSE '' END
	FROM ports p
	JOIN boards b ON b.id = p.board_id
	JOIN devices d ON d.id = b.device_id
	LEFT JOIN onus o ON o.id = onu
	WHERE p.id = coalesce((SELECT port_id FROM onus WHERE id = onu),
	    (SELECT port_id FROM dsl_lines WHERE id = line))
$$;

-- The first load of a large inventory inserts about a million ONUs and
-- accounts; the foreign keys from onus and subscribers would be checked
-- one row at a time (more than half the load time). For such a bulk
-- merge the import suspends them and adds them back, validated by one
-- join each, before it commits. Their definitions are read from the
-- catalog, so later migrations that change these keys need no change
-- here. The tables are locked until the import commits.
CREATE FUNCTION inventory_fk_suspend(staged bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	c record;
	n integer := 0;
BEGIN
	-- Bulk: at least 100,000 rows and more than twice what is there.
	IF staged < 100000 OR staged <= 2 * (SELECT count(*) FROM subscribers)
	THEN
		RETURN 0;
	END IF;
	FOR c IN SELECT conrelid::regclass AS tab, conname,
	    pg_get_constraintdef(oid) AS def
	    FROM pg_constraint
	    WHERE contype = 'f'
	    AND conrelid IN ('onus'::regclass, 'subscribers'::regclass)
	    AND confrelid IN ('ports'::regclass, 'splitters'::regclass,
	        'onus'::regclass, 'dsl_lines'::regclass)
	LOOP
		INSERT INTO inv_fks VALUES (format(
		    'ALTER TABLE %s ADD CONSTRAINT %I %s', c.tab, c.conname,
		    c.def));
		EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.tab,
		    c.conname);
		n := n + 1;
	END LOOP;
	RETURN n;
END;
$$;

CREATE FUNCTION inventory_fk_resume() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	s text;
	n integer := 0;
BEGIN
	FOR s IN DELETE FROM inv_fks RETURNING stmt LOOP
		EXECUTE s;
		n := n + 1;
	END LOOP;
	RETURN n;
END;
$$;
