-- 090_cluster: several heraldd instances share the devices through lease
-- rows, with fencing epochs. PostgreSQL is the only thing the instances
-- share: no cluster protocol of our own, no coordination service.
--
-- A lease names its owner (instance name plus the token of one run of
-- heraldd) and an epoch that grows on every change of owner. The owner
-- renews its leases every few seconds (cluster_lease); a lease not renewed
-- expires and any instance may claim it (FOR UPDATE SKIP LOCKED, epoch + 1).
-- Every write heraldd makes for a device carries the epoch it holds; the
-- write functions below refuse a stale one (cluster_fence), so an instance
-- that was paused or cut off while another took its devices writes
-- nothing for them when it comes back.

ALTER TABLE instances
	ADD COLUMN cluster boolean NOT NULL DEFAULT false,
	ADD COLUMN token text,
	ADD COLUMN lease_seconds double precision,
	ADD COLUMN cluster_seen timestamptz,
	ADD COLUMN draining boolean NOT NULL DEFAULT false,
	ADD COLUMN api_url text;
COMMENT ON COLUMN instances.token IS
	'one run of heraldd: a restarted instance is a new owner';
COMMENT ON COLUMN instances.cluster_seen IS
	'last lease renewal; alive while cluster_seen + lease_seconds is ahead';
COMMENT ON COLUMN instances.draining IS
	'heraldctl cluster drain: the instance gives all its devices away';

CREATE TABLE device_leases (
	device_id	bigint PRIMARY KEY REFERENCES devices ON DELETE CASCADE,
	owner		text,
	owner_token	text,
	epoch		bigint NOT NULL DEFAULT 0,
	expires_at	timestamptz NOT NULL DEFAULT '-infinity',
	claimed_at	timestamptz,
	renewed_at	timestamptz,
	processed_until	timestamptz
);
COMMENT ON COLUMN device_leases.processed_until IS
	'receive time of the last trap its last owner handled, given with a release';
CREATE INDEX device_leases_owner ON device_leases (owner);
COMMENT ON TABLE device_leases IS
	'which heraldd instance acts for a device, until when, and its epoch';

-- Writes refused for a stale epoch, one row per statement and device.
CREATE TABLE cluster_fenced (
	id		bigserial PRIMARY KEY,
	at		timestamptz NOT NULL DEFAULT now(),
	instance	text,
	device_id	bigint,
	what		text NOT NULL,
	epoch_held	bigint,
	epoch_now	bigint,
	owner_now	text,
	entries		integer NOT NULL
);
CREATE INDEX cluster_fenced_at ON cluster_fenced (at);

-- Devices moved from one owner to another (taken over, released, drained),
-- for the operator and the failover benchmark.
CREATE TABLE cluster_moves (
	id		bigserial PRIMARY KEY,
	at		timestamptz NOT NULL DEFAULT now(),
	device_id	bigint NOT NULL,
	from_owner	text,
	to_owner	text,
	epoch		bigint NOT NULL,
	reason		text NOT NULL CHECK (reason IN ('claimed', 'taken over',
	    'released', 'restarted', 'reclaimed'))
);
CREATE INDEX cluster_moves_at ON cluster_moves (at);

-- One lease round of one instance, in one transaction:
--   1. registers (or refreshes) the instance; a new token is a new run of
--      heraldd: its name's old leases are taken as over, epoch + 1;
--   2. renews the leases it holds that have not expired;
--   3. works out its share: the devices divided by the live instances that
--      are not draining, rounded up (0 while draining);
--   4. claims free or expired leases up to that share (SKIP LOCKED: two
--      instances claiming at once never take the same device);
--   5. says how many it holds beyond its share (or one, when it holds more
--      than the rounded-down share and another instance less): heraldd
--      releases those itself (cluster_release) once its writes for them
--      are out.
-- A device moves only when its lease expired, was released, or its owner
-- holds more than its share: not on every renewal.
-- A run whose name another live run took after it gets {"conflict": that
-- run's pid} and nothing else (see below).
-- Returns {"leases": [[device_id, epoch], ...] (all held now), "gained":
-- [device_id, ...] (claimed in this round), "excess": n, "share": n,
-- "live": n, "draining": bool, "next_expiry": seconds until another
-- instance's lease runs out (null: none)}.
CREATE FUNCTION cluster_lease(p_instance text, p_token text, p_pid integer,
    p_version text, p_lease double precision, p_api_url text DEFAULT NULL,
    p_known boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_lease		interval := make_interval(secs => p_lease);
	v_new		boolean;
	v_draining	boolean;
	v_live		integer;
	v_total		integer;
	v_share		integer;
	v_held		integer;
	v_excess	integer;
	v_gained	bigint[] := '{}';
	v_conflict	boolean;
	v_other		integer;
BEGIN
	-- A new run (p_known false) takes the name over at once: a restart
	-- after a crash acts without waiting for the dead run's lease, and
	-- the epochs fence whatever the old run might still send. But two
	-- live processes under one name would take each other's leases for
	-- ever: the one that registered before (p_known) and finds its name
	-- taken by a live other run yields, acting for nothing, until that
	-- one stops renewing.
	SELECT token IS DISTINCT FROM p_token, p_known AND token IS NOT NULL
	    AND token <> p_token AND cluster_seen IS NOT NULL AND
	    cluster_seen + make_interval(secs => lease_seconds) > now(), pid
	INTO v_new, v_conflict, v_other
	FROM instances WHERE name = p_instance FOR UPDATE;
	IF v_conflict THEN
		RETURN jsonb_build_object('conflict', v_other,
		    'leases', '[]'::jsonb, 'gained', '[]'::jsonb, 'excess', 0, 'share', 0, 'live', 0,
		    'draining', false, 'next_expiry', NULL);
	END IF;
	INSERT INTO instances AS i (name, pid, version, started_at, last_seen,
	    cluster, token, lease_seconds, cluster_seen, draining, api_url)
	VALUES (p_instance, p_pid, p_version, now(), now(), true, p_token,
	    p_lease, now(), false, p_api_url)
	ON CONFLICT (name) DO UPDATE SET pid = EXCLUDED.pid,
	    version = EXCLUDED.version, last_seen = now(), cluster = true,
	    token = EXCLUDED.token, lease_seconds = EXCLUDED.lease_seconds,
	    cluster_seen = now(), api_url = EXCLUDED.api_url,
	    started_at = CASE WHEN i.token IS DISTINCT FROM EXCLUDED.token
	        THEN now() ELSE i.started_at END,
	    -- a drain lasts until the drained instance is restarted
	    draining = CASE WHEN i.token IS DISTINCT FROM EXCLUDED.token
	        THEN false ELSE i.draining END
	RETURNING draining INTO v_draining;
	IF v_new IS DISTINCT FROM false THEN
		PERFORM pg_notify('cluster', p_instance);
	END IF;

	-- Every device has a lease row (new devices come with the inventory).
	INSERT INTO device_leases (device_id)
	SELECT d.id FROM devices d WHERE NOT EXISTS
	    (SELECT 1 FROM device_leases l WHERE l.device_id = d.id)
	ON CONFLICT DO NOTHING;

	UPDATE device_leases SET expires_at = now() + v_lease,
	    renewed_at = now()
	WHERE owner = p_instance AND owner_token = p_token AND
	    expires_at > now();
	GET DIAGNOSTICS v_held = ROW_COUNT;

	SELECT count(*) INTO v_live FROM instances
	WHERE cluster AND NOT draining AND
	    cluster_seen + make_interval(secs => lease_seconds) > now();
	SELECT count(*) INTO v_total FROM device_leases;
	v_share := CASE WHEN v_draining OR v_live = 0 THEN 0
	    ELSE (v_total + v_live - 1) / v_live END;

	IF v_held < v_share THEN
		WITH free AS (
			SELECT device_id FROM device_leases
			WHERE expires_at <= now() OR (owner = p_instance AND
			    owner_token IS DISTINCT FROM p_token)
			ORDER BY device_id
			FOR UPDATE SKIP LOCKED
			LIMIT v_share - v_held),
		old AS (
			SELECT l.device_id, l.owner, l.owner_token,
			    l.expires_at
			FROM device_leases l JOIN free USING (device_id)),
		taken AS (
			UPDATE device_leases l SET owner = p_instance,
			    owner_token = p_token, epoch = l.epoch + 1,
			    expires_at = now() + v_lease, claimed_at = now(),
			    renewed_at = now()
			FROM free WHERE l.device_id = free.device_id
			RETURNING l.device_id, l.epoch),
		moved AS (
			INSERT INTO cluster_moves (device_id, from_owner,
			    to_owner, epoch, reason)
			SELECT t.device_id, o.owner, p_instance, t.epoch,
			    CASE WHEN o.owner IS NULL THEN 'claimed'
			    WHEN o.owner = p_instance AND o.owner_token =
				p_token THEN 'reclaimed'
			    WHEN o.owner = p_instance THEN 'restarted'
			    ELSE 'taken over' END
			FROM taken t JOIN old o USING (device_id))
		SELECT coalesce(array_agg(device_id ORDER BY device_id), '{}')
		INTO v_gained FROM taken;
	END IF;

	-- Even out: shares are rounded up, so 10 devices on 3 instances may
	-- sit as 4, 4, 2. One device at a time goes from an instance above
	-- the rounded-down share when another live one is below it.
	v_held := v_held + cardinality(v_gained);
	v_excess := greatest(v_held - v_share, 0);
	IF v_excess = 0 AND v_live > 0 AND v_held > v_total / v_live AND
	    -- a free device goes to the one below first: nothing to move
	    NOT EXISTS (SELECT 1 FROM device_leases WHERE expires_at <= now())
	    AND EXISTS (SELECT 1 FROM instances i WHERE i.cluster AND
		NOT i.draining AND i.name <> p_instance AND
		i.cluster_seen + make_interval(secs => i.lease_seconds) > now()
		AND (SELECT count(*) FROM device_leases l WHERE
		    l.owner = i.name AND l.owner_token = i.token AND
		    l.expires_at > now()) < v_total / v_live) THEN
		v_excess := 1;
	END IF;

	RETURN jsonb_build_object(
	    'leases', coalesce((SELECT jsonb_agg(jsonb_build_array(
		device_id, epoch) ORDER BY device_id) FROM device_leases
		WHERE owner = p_instance AND owner_token = p_token AND
		expires_at > now()), '[]'),
	    'gained', to_jsonb(v_gained),
	    'excess', v_excess,
	    'share', v_share,
	    'live', v_live,
	    'draining', v_draining,
	    'next_expiry', (SELECT extract(epoch FROM min(expires_at) - now())
		FROM device_leases WHERE owner_token IS DISTINCT FROM p_token
		AND expires_at > now()));
END;
$$;

-- Give leases back (more than the share, a drain, a clean shutdown): the
-- lease expires now, keeps its epoch, and the next claimer adds one.
-- Only leases this run holds; returns how many. p_processed_us gives, per
-- device, the receive time (microseconds since the epoch) of the last
-- trap this instance handled for it: the next owner replays only newer
-- ones from its ring. Leaving (p_leaving, or no list: all of them), the
-- instance no longer counts as live, so the others' shares grow at once.
CREATE FUNCTION cluster_release(p_instance text, p_token text,
    p_devices bigint[], p_processed_us bigint[] DEFAULT NULL,
    p_leaving boolean DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	n		integer;
	v_leaving	boolean := coalesce(p_leaving, p_devices IS NULL);
BEGIN
	WITH p AS (
		SELECT d.id, to_timestamp(t.us / 1e6) AS upto
		FROM unnest(p_devices) WITH ORDINALITY AS d(id, i)
		LEFT JOIN unnest(p_processed_us) WITH ORDINALITY AS t(us, i)
		    USING (i)),
	r AS (
		UPDATE device_leases l SET expires_at = now(), owner = NULL,
		    owner_token = NULL,
		    processed_until = coalesce(greatest(l.processed_until,
			(SELECT p.upto FROM p WHERE p.id = l.device_id)),
			l.processed_until)
		WHERE owner = p_instance AND owner_token = p_token AND
		    (p_devices IS NULL OR device_id = ANY (p_devices))
		RETURNING device_id, epoch)
	INSERT INTO cluster_moves (device_id, from_owner, to_owner, epoch,
	    reason)
	SELECT device_id, p_instance, NULL, epoch, 'released' FROM r;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF v_leaving THEN
		UPDATE instances SET cluster_seen = NULL
		WHERE name = p_instance AND token = p_token;
	END IF;
	IF n > 0 OR v_leaving THEN
		PERFORM pg_notify('cluster', p_instance);
	END IF;
	RETURN n;
END;
$$;

-- "heraldctl cluster drain NAME": the instance gives its devices away at
-- its next lease round (within a second or two: NOTIFY wakes it).
CREATE FUNCTION cluster_drain(p_instance text, p_on boolean DEFAULT true)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE instances SET draining = p_on WHERE name = p_instance AND
	    cluster;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	PERFORM pg_notify('cluster', p_instance);
	RETURN true;
END;
$$;

-- Fencing. A batch of writes for devices, each entry with "device_id" and
-- "epoch" (the one its writer held when it decided), split into the
-- entries that may be written and the count refused. An entry passes when
--   - the writer is an instance (p_instance) that holds the device's lease
--     with that epoch; or
--   - the writer runs standalone (p_instance NULL) and no instance holds a
--     live lease on the device; or
--   - it names no device, or a device that no longer exists.
-- The lease rows are locked FOR SHARE until the write commits, so a claim
-- (FOR UPDATE SKIP LOCKED) cannot slip in between the check and the write:
-- the claimer skips the device this round. Refused entries are recorded in
-- cluster_fenced, one row per device.
CREATE FUNCTION cluster_fence(batch jsonb, p_instance text, p_what text,
    OUT ok jsonb, OUT fenced integer)
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM device_leases WHERE device_id IN
	    (SELECT (e->>'device_id')::bigint FROM jsonb_array_elements(batch) e)
	ORDER BY device_id FOR SHARE;

	CREATE TEMP TABLE IF NOT EXISTS cluster_batch (ord bigint, v jsonb,
	    device_id bigint, epoch bigint, pass boolean, owner text,
	    epoch_now bigint) ON COMMIT DELETE ROWS;
	INSERT INTO cluster_batch
	SELECT e.ord, e.v, (e.v->>'device_id')::bigint,
	    (e.v->>'epoch')::bigint,
	    CASE WHEN l.device_id IS NULL THEN true
	    WHEN p_instance IS NOT NULL THEN l.owner IS NOT DISTINCT FROM
	        p_instance AND l.epoch = (e.v->>'epoch')::bigint
	    ELSE l.owner IS NULL OR l.expires_at <= now() END,
	    l.owner, l.epoch
	FROM jsonb_array_elements(batch) WITH ORDINALITY AS e(v, ord)
	LEFT JOIN device_leases l ON l.device_id = (e.v->>'device_id')::bigint;

	SELECT coalesce(jsonb_agg(v ORDER BY ord) FILTER (WHERE pass), '[]'),
	    count(*) FILTER (WHERE NOT pass)
	INTO ok, fenced FROM cluster_batch;
	IF fenced > 0 THEN
		INSERT INTO cluster_fenced (instance, device_id, what,
		    epoch_held, epoch_now, owner_now, entries)
		SELECT p_instance, device_id, p_what, max(epoch),
		    max(epoch_now), max(owner), count(*)
		FROM cluster_batch WHERE NOT pass GROUP BY device_id;
	END IF;
	TRUNCATE cluster_batch;
END;
$$;

-- The rules engine's writes, fenced: what was stored and what was refused.
CREATE FUNCTION rules_write_alarms(batch jsonb, p_instance text,
    OUT stored integer, OUT fenced integer)
LANGUAGE plpgsql AS $$
DECLARE
	v_ok	jsonb;
BEGIN
	SELECT f.ok, f.fenced INTO v_ok, fenced
	FROM cluster_fence(batch, p_instance, 'alarms') f;
	stored := rules_write_alarms(v_ok);
END;
$$;

CREATE FUNCTION rules_write_incidents(batch jsonb, p_instance text,
    OUT stored integer, OUT fenced integer)
LANGUAGE plpgsql AS $$
DECLARE
	v_ok	jsonb;
BEGIN
	SELECT f.ok, f.fenced INTO v_ok, fenced
	FROM cluster_fence(batch, p_instance, 'incidents') f;
	stored := rules_write_incidents(v_ok);
END;
$$;

-- The open state of some devices, for the instance that just took them
-- over: the shape of rules_load_open(), only those devices.
CREATE FUNCTION rules_load_open_devices(p_devices bigint[]) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
	    'incidents', coalesce((SELECT jsonb_agg(e ORDER BY
		(e->>'opened_at')::bigint) FROM jsonb_array_elements(
		o->'incidents') e WHERE (e->>'device_id')::bigint =
		ANY (p_devices)), '[]'),
	    'alarms', coalesce((SELECT jsonb_agg(e ORDER BY
		(e->>'first_raised_at')::bigint) FROM jsonb_array_elements(
		o->'alarms') e WHERE (e->>'device_id')::bigint =
		ANY (p_devices)), '[]'))
	FROM (SELECT rules_load_open() AS o) s;
$$;

-- An incident once confirmed (its subscribers told, its ticket open) can
-- end only as resolved. A writer that reopened the place without knowing
-- it (a takeover whose state load timed out, the open-per-scope index
-- folding its new incident into the stored one) may see the fault clear
-- within its own hold-down and call it transient; stored, that would
-- cancel a real outage's ticket. It is stored as resolved.
CREATE FUNCTION incidents_confirmed_ends_resolved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.state := 'resolved';
	RETURN NEW;
END;
$$;
CREATE TRIGGER incidents_confirmed_ends_resolved BEFORE UPDATE ON incidents
	FOR EACH ROW WHEN (OLD.state = 'confirmed' AND NEW.state = 'transient')
	EXECUTE FUNCTION incidents_confirmed_ends_resolved();
