-- 040_rules: what the rules engine (rules/, issue 9) stores, and the
-- functions heraldd calls to store it.
--
-- The engine keeps the one alarm state and the incidents in memory; these
-- tables are their durable copy, written on heraldd's decisions connection
-- (h->decide) and read back at start so that a restart forgets nothing.
-- Every write is one call of one function, so it is one round trip and one
-- transaction, and every function is idempotent: the store sends a
-- statement again when its answer was lost, and a restarted instance may
-- send again what it had sent before it died.

-- Incidents -------------------------------------------------------------

-- transient: cleared within its hold-down (recorded, never told);
-- merged: absorbed by an incident above it (merged_into names it). The
-- ticket workflow will add 'closed' by replacing this named constraint.
ALTER TABLE incidents DROP CONSTRAINT incidents_state_check;
ALTER TABLE incidents ADD CONSTRAINT incidents_state_check CHECK (state IN
	('suspected', 'confirmed', 'resolved', 'transient', 'merged'));

ALTER TABLE incidents
	ADD COLUMN uid		text,
	ADD COLUMN scope_key	text,
	ADD COLUMN individual	boolean NOT NULL DEFAULT false,
	ADD COLUMN planned	boolean NOT NULL DEFAULT false,
	ADD COLUMN root_alarm	text,
	ADD COLUMN frame	integer,
	ADD COLUMN slot		integer,
	ADD COLUMN port		integer,
	ADD COLUMN onu		integer,
	ADD COLUMN splitter	text,
	ADD COLUMN line		bigint,
	ADD COLUMN affected_onus integer,
	ADD COLUMN subscriber_minutes double precision,
	ADD COLUMN merged_into	text,
	ADD COLUMN updated_at	timestamptz;
-- Rows from before the engine, and incidents written by hand (a NOC
-- declaration, a test), get a uid and a scope of their own, so they never
-- meet the engine's in incidents_open_scope.
UPDATE incidents SET uid = 'legacy@' || id, scope_key = 'legacy:' || id
	WHERE uid IS NULL;
ALTER TABLE incidents
	ALTER COLUMN uid SET DEFAULT 'manual@' || gen_random_uuid(),
	ALTER COLUMN scope_key SET DEFAULT 'manual:' || gen_random_uuid(),
	ALTER COLUMN uid SET NOT NULL,
	ALTER COLUMN scope_key SET NOT NULL,
	ADD CONSTRAINT incidents_uid_key UNIQUE (uid),
	ADD CONSTRAINT incidents_ended_check CHECK
	    (state NOT IN ('transient', 'merged') OR resolved_at IS NOT NULL),
	ADD CONSTRAINT incidents_confirmed_check CHECK
	    (state <> 'confirmed' OR confirmed_at IS NOT NULL),
	ADD CONSTRAINT incidents_merged_check CHECK
	    (state <> 'merged' OR merged_into IS NOT NULL),
	ADD CONSTRAINT incidents_counts_check CHECK (affected_accounts >= 0
	    AND coalesce(affected_onus, 0) >= 0
	    AND coalesce(subscriber_minutes, 0) >= 0);
COMMENT ON COLUMN incidents.uid IS
	'the engine''s id: "<scope_key>@<opened, microseconds>"';
COMMENT ON COLUMN incidents.individual IS
	'a one-account repair fault: never broadcast';
COMMENT ON COLUMN incidents.resolved_at IS
	'when it ended: resolved, transient (cleared in hold-down) or merged';

-- At most one open incident per place: two heraldd instances (or one that
-- restarted without knowing) can never open the same outage twice.
DROP INDEX incidents_open;
CREATE UNIQUE INDEX incidents_open_scope ON incidents (scope_key)
	WHERE state IN ('suspected', 'confirmed');

-- An engine uid that was folded into another row (rules_write_incident
-- adopted an open incident of the same scope): later writes under that uid
-- find the row through here, so its resolution never makes a second row.
CREATE TABLE incident_aliases (
	uid		text PRIMARY KEY,
	incident_id	bigint NOT NULL REFERENCES incidents ON DELETE CASCADE,
	added_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incident_aliases_incident ON incident_aliases (incident_id);

-- Alarms ----------------------------------------------------------------

ALTER TABLE alarms
	ADD COLUMN line		bigint,
	ADD COLUMN flapping	boolean NOT NULL DEFAULT false,
	ADD COLUMN changed_at	timestamptz,
	ADD COLUMN affected_onus integer,
	ADD COLUMN dying_gasp_onus integer,
	-- The engine's name of its incident. An alarm may reach the database
	-- before its incident (another batch, another statement): incident_id
	-- is filled from this as soon as both rows exist, in either order.
	ADD COLUMN incident_uid	text;
CREATE INDEX alarms_incident_uid ON alarms (incident_uid)
	WHERE incident_uid IS NOT NULL;
-- One row per life of an alarm: a clear sent again (or a raise and clear
-- that reach the database in one batch) never makes a second cleared row.
CREATE UNIQUE INDEX alarms_cleared_life ON alarms (reduction_key,
	first_raised_at) WHERE state = 'cleared';

-- Maintenance windows ---------------------------------------------------

-- Incidents at or under a window's scope while it runs are planned: no
-- outage SMS, the ticket flagged planned. Managed by the API and heraldctl
-- later; a plain INSERT works too, and heraldd hears of it at once.
CREATE TABLE maintenance_windows (
	id		bigserial PRIMARY KEY,
	device_id	bigint NOT NULL REFERENCES devices ON DELETE CASCADE,
	frame		integer,
	slot		integer,
	port		integer,
	splitter	text,
	starts_at	timestamptz NOT NULL,
	ends_at		timestamptz NOT NULL,
	reason		text NOT NULL,
	created_by	text DEFAULT current_user,
	created_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (ends_at > starts_at),
	-- A narrower scope names its parents: a port needs its slot.
	CHECK (slot IS NULL OR frame IS NOT NULL),
	CHECK (port IS NULL OR slot IS NOT NULL),
	CHECK (splitter IS NULL OR port IS NOT NULL)
);
CREATE INDEX maintenance_windows_ends ON maintenance_windows (ends_at);

CREATE FUNCTION maintenance_windows_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('maintenance_changed', '');
	RETURN NULL;
END;
$$;
CREATE TRIGGER maintenance_windows_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON maintenance_windows
	FOR EACH STATEMENT EXECUTE FUNCTION maintenance_windows_notify();

-- Functions heraldd calls ----------------------------------------------

-- The incident an engine uid names (its own row or an adopted one), or NULL.
CREATE FUNCTION rules_incident_id(p_uid text) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT coalesce(
	    (SELECT id FROM incidents WHERE uid = p_uid),
	    (SELECT incident_id FROM incident_aliases WHERE uid = p_uid));
$$;

-- suspected < confirmed < ended: a write never moves an incident back.
CREATE FUNCTION rules_state_rank(state text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE state WHEN 'suspected' THEN 0 WHEN 'confirmed' THEN 1
	    ELSE 2 END;
$$;

-- A batch of changed alarms as rows, the latest change of each key only
-- (a key may come twice in a batch: raised, then cleared).
CREATE FUNCTION rules_alarm_batch(batch jsonb)
RETURNS TABLE (key text, device_id bigint, kind text, frame integer,
    slot integer, port integer, onu integer, line bigint, state text,
    source text, cause text, raise_count integer,
    first_raised_at timestamptz, last_raised_at timestamptz,
    cleared_at timestamptz, changed_at timestamptz, flapping boolean,
    affected_onus integer, dying_gasp_onus integer, incident text)
LANGUAGE sql STABLE AS $$
	SELECT DISTINCT ON (r.key) r.key, r.device_id, r.kind, r.frame,
	    r.slot, r.port, r.onu, r.line, r.state, r.source, r.cause,
	    coalesce(r.raise_count, 1), r.first_raised_at,
	    coalesce(r.last_raised_at, r.first_raised_at), r.cleared_at,
	    r.changed_at, coalesce(r.flapping, false), r.affected_onus,
	    r.dying_gasp_onus, r.incident
	FROM jsonb_array_elements(batch) WITH ORDINALITY AS e(v, ord)
	CROSS JOIN LATERAL jsonb_to_record(e.v) AS r(key text,
	    device_id bigint, kind text, frame integer, slot integer,
	    port integer, onu integer, line bigint, state text, source text,
	    cause text, raise_count integer, first_raised_at timestamptz,
	    last_raised_at timestamptz, cleared_at timestamptz,
	    changed_at timestamptz, flapping boolean, affected_onus integer,
	    dying_gasp_onus integer, incident text)
	JOIN devices d ON d.id = r.device_id
	ORDER BY r.key, e.ord DESC;
$$;

-- A batch of changed alarms, in the order they changed. Set-based: parsed
-- once into a temporary table, then three statements for the whole batch, whatever its size (a storm sends
-- thousands a second). Returns how many of the batch's entries name a
-- device that exists; the others were deleted meanwhile and are skipped
-- rather than failing the batch.
--   1. An open row that the batch clears, or that a new life of the same
--      key replaces, is closed.
--   2. Raised: the open row of the key is inserted or brought up to date;
--      never with an older change than it holds, and a raise re-sent after
--      its clear was stored does nothing.
--   3. Cleared with no row of that life: the whole life is inserted, once.
CREATE FUNCTION rules_write_alarms(batch jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
	-- Parsed once (times are the costly part), used by three statements.
	CREATE TEMP TABLE IF NOT EXISTS rules_batch ON COMMIT DELETE ROWS AS
	    SELECT * FROM rules_alarm_batch('[]') WITH NO DATA;
	INSERT INTO rules_batch SELECT * FROM rules_alarm_batch(batch);

	UPDATE alarms o SET state = 'cleared',
	    cleared_at = CASE WHEN b.state = 'cleared' THEN
	        coalesce(b.cleared_at, b.changed_at) ELSE b.first_raised_at END,
	    changed_at = b.changed_at, source = b.source,
	    raise_count = CASE WHEN b.state = 'cleared' THEN b.raise_count
	        ELSE o.raise_count END,
	    last_raised_at = CASE WHEN b.state = 'cleared' THEN
	        b.last_raised_at ELSE o.last_raised_at END,
	    flapping = CASE WHEN b.state = 'cleared' THEN b.flapping
	        ELSE o.flapping END,
	    incident_id = coalesce(rules_incident_id(b.incident), o.incident_id),
	    incident_uid = coalesce(b.incident, o.incident_uid)
	FROM rules_batch b
	WHERE o.reduction_key = b.key AND o.state = 'raised' AND
	    (b.state = 'cleared' OR o.first_raised_at <> b.first_raised_at) AND
	    (o.changed_at IS NULL OR o.changed_at <= b.changed_at);

	INSERT INTO alarms AS o (device_id, kind, reduction_key, frame, slot,
	    port, onu, line, state, source, cause, raise_count,
	    first_raised_at, last_raised_at, changed_at, flapping,
	    affected_onus, dying_gasp_onus, incident_id, incident_uid)
	SELECT b.device_id, b.kind, b.key, b.frame, b.slot, b.port, b.onu,
	    b.line, 'raised', b.source, b.cause, b.raise_count,
	    b.first_raised_at, b.last_raised_at, b.changed_at, b.flapping,
	    b.affected_onus, b.dying_gasp_onus, rules_incident_id(b.incident),
	    b.incident
	FROM rules_batch b
	WHERE b.state = 'raised' AND NOT EXISTS (SELECT 1 FROM alarms c
	    WHERE c.reduction_key = b.key AND c.state = 'cleared' AND
	    c.first_raised_at = b.first_raised_at AND
	    c.changed_at >= b.changed_at)
	ON CONFLICT (reduction_key) WHERE state = 'raised' DO UPDATE SET
	    source = EXCLUDED.source, cause = EXCLUDED.cause,
	    raise_count = EXCLUDED.raise_count,
	    last_raised_at = EXCLUDED.last_raised_at,
	    changed_at = EXCLUDED.changed_at, flapping = EXCLUDED.flapping,
	    affected_onus = EXCLUDED.affected_onus,
	    dying_gasp_onus = EXCLUDED.dying_gasp_onus,
	    incident_id = coalesce(EXCLUDED.incident_id, o.incident_id),
	    incident_uid = coalesce(EXCLUDED.incident_uid, o.incident_uid)
	WHERE o.changed_at IS NULL OR o.changed_at <= EXCLUDED.changed_at;

	INSERT INTO alarms (device_id, kind, reduction_key, frame, slot, port,
	    onu, line, state, source, cause, raise_count, first_raised_at,
	    last_raised_at, cleared_at, changed_at, flapping, affected_onus,
	    dying_gasp_onus, incident_id, incident_uid)
	SELECT b.device_id, b.kind, b.key, b.frame, b.slot, b.port, b.onu,
	    b.line, 'cleared', b.source, b.cause, b.raise_count,
	    b.first_raised_at, b.last_raised_at,
	    coalesce(b.cleared_at, b.changed_at), b.changed_at, b.flapping,
	    b.affected_onus, b.dying_gasp_onus, rules_incident_id(b.incident),
	    b.incident
	FROM rules_batch b
	WHERE b.state = 'cleared' AND NOT EXISTS (SELECT 1 FROM alarms c
	    WHERE c.reduction_key = b.key AND
	    c.first_raised_at = b.first_raised_at)
	ON CONFLICT (reduction_key, first_raised_at) WHERE state = 'cleared'
	DO NOTHING;

	-- Entries of deleted devices are not in rules_batch; repeats of a key
	-- count as stored.
	RETURN (SELECT count(*) FROM jsonb_array_elements(batch) e
	    WHERE (e->>'device_id')::bigint IN (SELECT device_id FROM
	    rules_batch));
END;
$$;

-- Insert or update one incident by its uid; returns its id.
--
-- When the insert meets incidents_open_scope, an open incident at the same
-- scope exists that this instance did not know: opened by another heraldd
-- (sharing devices during a lease takeover) or by this one before a restart
-- whose answer was lost. It is adopted: updated with what we know, its uid
-- kept, ours recorded in incident_aliases. That is safe because the scope
-- key names one place in the network, and an open incident there is by
-- definition the one outage at that place: both writers describe the same
-- fault. Nothing of the other row is lost (accounts are only ever added,
-- opened_at keeps the earlier time, a state never moves backwards), and the
-- index guarantees a single row for both.
CREATE FUNCTION rules_write_incident(i jsonb) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	v_uid	text := i->>'uid';
	v_dev	bigint := (i->>'device_id')::bigint;
	v_state	text := i->>'state';
	v_id	bigint;
	v_root	text := nullif(i->>'root_alarm', '');
	v_kind	text;
	v_board	bigint;
	v_port	bigint;
	v_split	bigint;
	v_onu	bigint;
	v_ended	timestamptz;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM devices WHERE id = v_dev) THEN
		v_dev := NULL;		-- deleted: the incident is kept
	END IF;
	-- The root alarm's kind ("7:pon.los:0/1/3" gives pon.los), or
	-- "inferred" for an incident opened from many ONUs down together.
	v_kind := coalesce(nullif(split_part(v_root, ':', 2), ''), 'inferred');
	SELECT id INTO v_board FROM boards WHERE device_id = v_dev AND
	    frame = coalesce((i->>'frame')::integer, 0) AND
	    slot = (i->>'slot')::integer;
	SELECT id INTO v_port FROM ports WHERE board_id = v_board AND
	    port = (i->>'port')::integer;
	SELECT id INTO v_split FROM splitters WHERE port_id = v_port AND
	    name = i->>'splitter';
	SELECT id INTO v_onu FROM onus WHERE port_id = v_port AND
	    onu_id = (i->>'onu')::integer;
	v_ended := CASE WHEN rules_state_rank(v_state) = 2 THEN
	    coalesce((i->>'resolved_at')::timestamptz, now()) END;

	v_id := rules_incident_id(v_uid);
	IF v_id IS NULL THEN
		INSERT INTO incidents (uid, scope_key, kind, scope, device_id,
		    board_id, port_id, splitter_id, onu_id, frame, slot, port,
		    onu, splitter, line, individual, state, cause, planned,
		    title, root_alarm, opened_at, confirmed_at, resolved_at,
		    affected_onus, subscriber_minutes, merged_into, updated_at)
		VALUES (v_uid, i->>'scope_key', v_kind, i->>'scope', v_dev,
		    v_board, v_port, v_split, v_onu, (i->>'frame')::integer,
		    (i->>'slot')::integer, (i->>'port')::integer,
		    (i->>'onu')::integer, i->>'splitter', (i->>'line')::bigint,
		    coalesce((i->>'individual')::boolean, false), v_state,
		    i->>'cause', coalesce((i->>'planned')::boolean, false),
		    coalesce(nullif(i->>'title', ''), i->>'scope_key'), v_root,
		    (i->>'opened_at')::timestamptz,
		    (i->>'confirmed_at')::timestamptz, v_ended,
		    (i->>'affected_onus')::integer,
		    (i->>'subscriber_minutes')::double precision,
		    nullif(i->>'merged_into', ''), now())
		ON CONFLICT (scope_key) WHERE state IN ('suspected', 'confirmed')
		DO NOTHING
		RETURNING id INTO v_id;
		IF v_id IS NULL THEN
			-- The open incident of this scope: adopt it.
			SELECT id INTO STRICT v_id FROM incidents
			    WHERE scope_key = i->>'scope_key' AND
			    state IN ('suspected', 'confirmed') FOR UPDATE;
			INSERT INTO incident_aliases (uid, incident_id)
			VALUES (v_uid, v_id) ON CONFLICT (uid) DO NOTHING;
		END IF;
	END IF;

	-- The same update for our row, an adopted one, and a re-send.
	UPDATE incidents o SET
	    state = CASE WHEN rules_state_rank(v_state) >=
	        rules_state_rank(o.state) THEN v_state ELSE o.state END,
	    cause = coalesce(i->>'cause', o.cause),
	    kind = CASE WHEN v_root IS NOT NULL THEN v_kind ELSE o.kind END,
	    individual = coalesce((i->>'individual')::boolean, o.individual),
	    planned = coalesce((i->>'planned')::boolean, o.planned),
	    title = coalesce(nullif(i->>'title', ''), o.title),
	    root_alarm = coalesce(v_root, o.root_alarm),
	    device_id = coalesce(v_dev, o.device_id),
	    opened_at = least(o.opened_at, (i->>'opened_at')::timestamptz),
	    confirmed_at = coalesce(o.confirmed_at,
	        (i->>'confirmed_at')::timestamptz),
	    resolved_at = CASE WHEN rules_state_rank(v_state) >=
	        rules_state_rank(o.state) THEN coalesce(v_ended, o.resolved_at)
	        ELSE o.resolved_at END,
	    affected_onus = coalesce((i->>'affected_onus')::integer,
	        o.affected_onus),
	    subscriber_minutes = coalesce(
	        (i->>'subscriber_minutes')::double precision,
	        o.subscriber_minutes),
	    merged_into = coalesce(nullif(i->>'merged_into', ''), o.merged_into),
	    updated_at = now()
	WHERE id = v_id;

	-- Accounts are only added: stragglers split off at resolution were
	-- affected all the same. Subscribers deleted meanwhile are skipped.
	INSERT INTO incident_accounts (incident_id, subscriber_id)
	SELECT v_id, s.id FROM subscribers s
	WHERE s.id IN (SELECT (jsonb_array_elements_text(
	    coalesce(i->'accounts', '[]')))::bigint)
	ON CONFLICT DO NOTHING;
	UPDATE incidents SET affected_accounts =
	    (SELECT count(*) FROM incident_accounts WHERE incident_id = v_id)
	WHERE id = v_id;

	-- Evidence: the open alarms it names, and every alarm that named this
	-- uid before the incident was stored.
	UPDATE alarms SET incident_id = v_id
	WHERE state = 'raised' AND reduction_key IN
	    (SELECT jsonb_array_elements_text(coalesce(i->'evidence', '[]')))
	    AND incident_id IS DISTINCT FROM v_id;
	UPDATE alarms SET incident_id = v_id
	WHERE incident_uid = v_uid AND incident_id IS DISTINCT FROM v_id;
	RETURN v_id;
END;
$$;

-- Several incidents in one round trip (heraldd sends all that changed
-- since its last statement); returns how many.
CREATE FUNCTION rules_write_incidents(batch jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	i	jsonb;
	n	integer := 0;
BEGIN
	FOR i IN SELECT value FROM jsonb_array_elements(batch) LOOP
		PERFORM rules_write_incident(i);
		n := n + 1;
	END LOOP;
	RETURN n;
END;
$$;

-- What heraldd loads at start, in one round trip: the open incidents (with
-- their account ids) and the open alarms (with their incident's uid), times
-- in microseconds since the epoch as the engine keeps them.
CREATE FUNCTION rules_us(t timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
	SELECT (extract(epoch FROM t) * 1000000)::bigint;
$$;

CREATE FUNCTION rules_load_open() RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
	    'incidents', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'uid', i.uid, 'scope_key', i.scope_key, 'scope', i.scope,
		'device_id', i.device_id, 'frame', i.frame, 'slot', i.slot,
		'port', i.port, 'onu', i.onu, 'splitter', i.splitter,
		'line', i.line, 'individual', i.individual, 'state', i.state,
		'cause', i.cause, 'planned', i.planned, 'title', i.title,
		'root_alarm', i.root_alarm, 'opened_at', rules_us(i.opened_at),
		'confirmed_at', rules_us(i.confirmed_at),
		'affected_onus', i.affected_onus,
		'subscriber_minutes', i.subscriber_minutes,
		'accounts', coalesce((SELECT jsonb_agg(a.subscriber_id
		    ORDER BY a.subscriber_id) FROM incident_accounts a
		    WHERE a.incident_id = i.id), '[]'))
		ORDER BY i.opened_at, i.id)
		FROM incidents i WHERE i.state IN ('suspected', 'confirmed')),
		'[]'),
	    'alarms', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'key', a.reduction_key, 'device_id', a.device_id,
		'kind', a.kind, 'frame', a.frame, 'slot', a.slot,
		'port', a.port, 'onu', a.onu, 'line', a.line,
		'source', a.source, 'cause', a.cause,
		'raise_count', a.raise_count,
		'first_raised_at', rules_us(a.first_raised_at),
		'last_raised_at', rules_us(a.last_raised_at),
		'changed_at', rules_us(coalesce(a.changed_at,
		    a.last_raised_at)),
		'flapping', a.flapping, 'affected_onus', a.affected_onus,
		'dying_gasp_onus', a.dying_gasp_onus,
		'incident', (SELECT i.uid FROM incidents i WHERE
		    i.id = a.incident_id AND
		    i.state IN ('suspected', 'confirmed')))
		ORDER BY a.first_raised_at, a.id)
		FROM alarms a WHERE a.state = 'raised'), '[]'));
$$;

-- The maintenance windows that run now or later, for the engine.
-- The windows that end after a time: now for heraldd, the start of the
-- recorded events for "heraldctl replay".
CREATE FUNCTION rules_load_windows(since timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object(
	    'id', id, 'device_id', device_id, 'frame', frame, 'slot', slot,
	    'port', port, 'splitter', splitter,
	    'starts_at', rules_us(starts_at), 'ends_at', rules_us(ends_at))
	    ORDER BY starts_at, id), '[]')
	FROM maintenance_windows WHERE ends_at > since;
$$;
