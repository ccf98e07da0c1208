-- 091_cluster_api: the API's side of several heraldd instances (issue 14;
-- the leases are 090_cluster.sql).
--
--   GET  /api/v1/cluster          api_cluster: instances, leases, moves,
--                                 fenced writes (noc, admin)
--   POST /api/v1/cluster/drain    api_cluster_drain, api_cluster_undrain:
--   POST /api/v1/cluster/undrain  cluster_drain(name, on) (admin)
--
-- And the same view of active incidents on every instance: each rules
-- engine holds only the incidents of the devices its instance holds, so the
-- API reads the others' from here (api_open_incidents) and is told of every
-- change on the channel api_incidents (one notification per statement,
-- naming the incidents' ids), so that a lookup or a board on any instance
-- shows an outage another instance opened within a second.

-- GET /api/v1/cluster ---------------------------------------------------------

-- An instance is alive while its last lease round is younger than its
-- lease; the devices it holds are its live leases of this run (token).
CREATE FUNCTION api_cluster(args jsonb, role text, actor text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	a	jsonb := api_args(args);
BEGIN
	PERFORM api_enter(role, actor, '{noc,admin}', 'GET /cluster');
	RETURN jsonb_build_object(
	    'instances', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'name', i.name, 'pid', i.pid, 'version', i.version,
		'started_at', i.started_at, 'last_seen', i.last_seen,
		'cluster', i.cluster, 'cluster_seen', i.cluster_seen,
		'alive', coalesce(i.cluster_seen + make_interval(secs =>
		    i.lease_seconds) > now(), false),
		'heartbeat_age', round(extract(epoch FROM now() -
		    coalesce(i.cluster_seen, i.last_seen))::numeric, 1),
		'draining', i.draining, 'lease_seconds', i.lease_seconds,
		'api_url', i.api_url,
		'devices', coalesce(h.devices, 0), 'onus', coalesce(h.onus, 0),
		'epoch_min', h.epoch_min, 'epoch_max', h.epoch_max)
		ORDER BY i.name)
		FROM instances i
		LEFT JOIN LATERAL (SELECT count(*) AS devices,
		    min(l.epoch) AS epoch_min, max(l.epoch) AS epoch_max,
		    (SELECT count(*) FROM onus o JOIN ports p ON p.id = o.port_id
			JOIN boards b ON b.id = p.board_id
			WHERE b.device_id IN (SELECT l2.device_id
			    FROM device_leases l2 WHERE l2.owner = i.name AND
			    l2.owner_token = i.token AND
			    l2.expires_at > now())) AS onus
		    FROM device_leases l
		    WHERE l.owner = i.name AND l.owner_token = i.token AND
			l.expires_at > now()) h ON true), '[]'),
	    'devices', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'device_id', l.device_id, 'name', d.name,
		'owner', CASE WHEN l.expires_at > now() THEN l.owner END,
		'epoch', l.epoch, 'expires_at', l.expires_at,
		'claimed_at', l.claimed_at, 'renewed_at', l.renewed_at)
		ORDER BY l.device_id)
		FROM device_leases l JOIN devices d ON d.id = l.device_id),
		'[]'),
	    'moves', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'at', m.at, 'device_id', m.device_id, 'name', d.name,
		'from', m.from_owner, 'to', m.to_owner, 'epoch', m.epoch,
		'reason', m.reason) ORDER BY m.at DESC, m.id DESC)
		FROM (SELECT * FROM cluster_moves
		    ORDER BY at DESC, id DESC LIMIT 50) m
		LEFT JOIN devices d ON d.id = m.device_id), '[]'),
	    'totals', (SELECT jsonb_build_object('devices', count(*),
		'held', count(*) FILTER (WHERE l.expires_at > now()),
		'unowned', count(*) FILTER (WHERE NOT l.expires_at > now()))
		FROM device_leases l),
	    'fenced', (SELECT jsonb_build_object('total', count(*),
		'entries', coalesce(sum(f.entries), 0), 'last_at', max(f.at))
		FROM cluster_fenced f));
END;
$$;

-- POST /api/v1/cluster/drain and /undrain -------------------------------------

-- {"instance": "NAME"}: an instance heraldd knows as a cluster member, or
-- 404. A drain lasts until it is undrained or the instance restarts.
CREATE FUNCTION api_cluster_set_drain(p_args jsonb, p_on boolean)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_name	text := api_text(p_args, 'instance', 200, true);
BEGIN
	IF NOT cluster_drain(v_name, p_on) THEN
		RAISE EXCEPTION 'instance %: not found', v_name
		    USING ERRCODE = 'no_data_found';
	END IF;
	RETURN jsonb_build_object('instance', v_name, 'draining', p_on);
END;
$$;

CREATE FUNCTION api_cluster_drain(args jsonb, role text, actor text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	a	jsonb := api_args(args);
BEGIN
	PERFORM api_enter(role, actor, '{admin}', 'POST /cluster/drain');
	RETURN api_cluster_set_drain(a, true);
END;
$$;

CREATE FUNCTION api_cluster_undrain(args jsonb, role text, actor text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	a	jsonb := api_args(args);
BEGIN
	PERFORM api_enter(role, actor, '{admin}', 'POST /cluster/undrain');
	RETURN api_cluster_set_drain(a, false);
END;
$$;

-- Open incidents for every instance's API ---------------------------------

-- Incidents in rules_load_open()'s shape (what rules_json_to_incident
-- reads) plus their id and end: the open ones (p_ids NULL), or those
-- named, whatever their state, so that heraldd drops the ended ones. In
-- id order, the order heraldd keeps them in.
CREATE FUNCTION api_open_incidents(p_ids bigint[] DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object(
	    'id', i.id, 'uid', i.uid, 'scope_key', i.scope_key,
	    'scope', i.scope, 'device_id', i.device_id, 'frame', i.frame,
	    'slot', i.slot, 'port', i.port, 'onu', i.onu,
	    'splitter', i.splitter, 'line', i.line,
	    'individual', i.individual, 'state', i.state, 'cause', i.cause,
	    'planned', i.planned, 'title', i.title,
	    'root_alarm', i.root_alarm, 'opened_at', rules_us(i.opened_at),
	    'confirmed_at', rules_us(i.confirmed_at),
	    'resolved_at', rules_us(i.resolved_at),
	    'affected_onus', i.affected_onus,
	    'subscriber_minutes', i.subscriber_minutes,
	    'accounts', CASE WHEN i.state IN ('suspected', 'confirmed') THEN
		coalesce((SELECT jsonb_agg(a.subscriber_id
		ORDER BY a.subscriber_id) FROM incident_accounts a
		WHERE a.incident_id = i.id), '[]') ELSE '[]' END)
	    ORDER BY i.id), '[]')
	FROM incidents i
	WHERE CASE WHEN p_ids IS NULL THEN i.state IN ('suspected',
	    'confirmed') ELSE i.id = ANY (p_ids) END;
$$;

-- One notification per statement that wrote incidents, naming their ids
-- ("12,15,16"), or "*" when there are more than fit well in a payload:
-- heraldd then reads them all. PostgreSQL folds identical notifications of
-- one transaction into one, so the several statements of one
-- rules_write_incident() tell heraldd once.
CREATE FUNCTION api_incidents_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_ids	text;
	v_n	integer;
BEGIN
	SELECT count(*), string_agg(id::text, ',' ORDER BY id)
	INTO v_n, v_ids FROM (SELECT DISTINCT id FROM changed) c;
	IF v_n > 0 THEN
		PERFORM pg_notify('api_incidents',
		    CASE WHEN v_n > 200 THEN '*' ELSE v_ids END);
	END IF;
	RETURN NULL;
END;
$$;
-- A transition table serves one event only: one trigger each.
CREATE TRIGGER incidents_api_incidents_ins AFTER INSERT ON incidents
	REFERENCING NEW TABLE AS changed
	FOR EACH STATEMENT EXECUTE FUNCTION api_incidents_notify();
CREATE TRIGGER incidents_api_incidents_upd AFTER UPDATE ON incidents
	REFERENCING NEW TABLE AS changed
	FOR EACH STATEMENT EXECUTE FUNCTION api_incidents_notify();
