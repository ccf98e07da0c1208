-- 010_events: the append-only log of normalised alarm events (trap and
-- poll), partitioned by day so that a month of storms stays fast and old
-- days are dropped whole; and collector_stats, the counters of the
-- collectors (received, rejected by reason, written, spooled, dropped).

CREATE TABLE events (
	-- First row of a COPY batch; the unique index below makes a batch
	-- that was sent twice fail as a whole (exactly-once after reconnects).
	head		boolean NOT NULL DEFAULT false,
	at		timestamptz NOT NULL,
	uid		bigint NOT NULL,
	device_id	bigint,
	source		text NOT NULL CHECK (source IN ('trap', 'poll')),
	kind		text CHECK (kind IN ('device.unreachable',
			    'device.power', 'board.fault', 'pon.los', 'onu.los',
			    'onu.dying_gasp', 'onu.offline', 'port.down',
			    'dsl.line_down')),
	action		text NOT NULL CHECK (action IN ('raise', 'clear', 'raw')),
	frame		integer,
	slot		integer,
	port		integer,
	onu		integer,
	line		bigint,
	if_index	bigint,
	cause		text,
	peer		text,
	pdu		text,
	trap_oid	text,
	profile		text,
	rule		text,
	-- One "OID TYPE VALUE" per line, as snmptrap takes them (and
	-- "heraldctl profile test --trap" reads them back).
	varbinds	text
) PARTITION BY RANGE (at);
COMMENT ON TABLE events IS
	'normalised alarm events; kind NULL (action raw) = no profile matched';
CREATE UNIQUE INDEX events_batch_head ON events (uid, at) WHERE head;
CREATE INDEX events_device_at ON events (device_id, at);
CREATE INDEX events_at ON events USING brin (at);
-- Rows outside every daily partition land here rather than failing.
CREATE TABLE events_default PARTITION OF events DEFAULT;

-- Create the daily partitions from yesterday to days_ahead days ahead (UTC
-- days) and drop those older than retention_days. Returns how many were
-- dropped. heraldd calls it at start and every hour.
CREATE FUNCTION events_maintain(retention_days integer,
    days_ahead integer DEFAULT 2) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	d date;
	part text;
	dropped integer := 0;
	r record;
BEGIN
	FOR d IN SELECT generate_series((now() AT TIME ZONE 'UTC')::date - 1,
	    (now() AT TIME ZONE 'UTC')::date + days_ahead, '1 day')::date LOOP
		part := 'events_' || to_char(d, 'YYYYMMDD');
		IF to_regclass(part) IS NULL THEN
			BEGIN
				EXECUTE format('CREATE TABLE %I PARTITION OF events '
				    'FOR VALUES FROM (%L) TO (%L)', part,
				    d::timestamp AT TIME ZONE 'UTC',
				    (d + 1)::timestamp AT TIME ZONE 'UTC');
			EXCEPTION WHEN check_violation THEN
				-- Rows for that day already sit in events_default.
				RAISE NOTICE 'events: % not created: %', part, SQLERRM;
			END;
		END IF;
	END LOOP;
	FOR r IN SELECT c.relname FROM pg_inherits i
	    JOIN pg_class c ON c.oid = i.inhrelid
	    WHERE i.inhparent = 'events'::regclass
	    AND c.relname ~ '^events_[0-9]{8}$'
	    AND to_date(substr(c.relname, 8), 'YYYYMMDD') <
	        (now() AT TIME ZONE 'UTC')::date - retention_days LOOP
		EXECUTE format('DROP TABLE %I', r.relname);
		dropped := dropped + 1;
	END LOOP;
	RETURN dropped;
END;
$$;
SELECT events_maintain(30);

CREATE TABLE collector_stats (
	instance	text NOT NULL,
	collector	text NOT NULL,
	name		text NOT NULL,
	value		bigint NOT NULL,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (instance, collector, name)
);
COMMENT ON TABLE collector_stats IS
	'counters of each heraldd instance, refreshed every stats_interval';
