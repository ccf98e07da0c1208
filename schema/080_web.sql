-- 080_web: what the web pages read besides the routes of 060 (issue 12;
-- interface fixed in web-spec.md): the board's counters, the alarm rate,
-- the topology under an incident and the texts sent for it.
--
-- Same conventions as 060_api.sql: heraldd calls api_NAME(args, role,
-- actor), the role is checked first (42501), a bad argument is a 22023
-- whose message starts with its field, a missing object a P0002. All of
-- them only read.

-- Notices by incident: the board's counters, each incident's row (070's
-- notify_counts, called for every incident of a list) and its texts. 070's
-- notifications_once is partial (subscriber_id IS NOT NULL), which a plain
-- "WHERE incident_id = $1" cannot use: without this, a list of 500
-- incidents with 200,000 notices took 9 s, one sequential scan each.
CREATE INDEX notifications_incident ON notifications (incident_id, state);

-- The alarm rate reads raises by time; without this it scans every alarm
-- ever kept.
CREATE INDEX alarms_first_raised ON alarms (first_raised_at);

-- The board shows who a ticket is assigned to: a change of assignee or
-- team is told like a change of state (061's NOTIFY api_refs, on which
-- heraldd pushes a "tickets" change to the open pages).
CREATE TRIGGER tickets_web_assignee AFTER UPDATE OF assignee, team
	ON tickets FOR EACH ROW
	WHEN (NEW.kind IN ('outage', 'repair') AND NEW.incident_id IS NOT NULL
	    AND (NEW.assignee, NEW.team) IS DISTINCT FROM
		(OLD.assignee, OLD.team))
	EXECUTE FUNCTION api_refs_notify();

-- Counters --------------------------------------------------------------------

-- The numbers a wall screen shows at a glance. "Active" is suspected or
-- confirmed and not an individual repair fault (those are tickets, not
-- outages). notices_by_incident gives each incident's notices by state.
--
-- With incidents=true it also lists the active incidents themselves, lean
-- (060's incident object without 070's per-row notice counts, the ticket
-- as id, state, assignee) and built set-wise: the board's one call, made
-- again on every change. At 500 incidents and 200,000 notices, GET
-- /incidents plus the counters took 0.45 s on heraldd's one API
-- connection. counts=false leaves the counters and notices out: the list
-- is what a ticket step changes, and it costs a tenth of them.
CREATE FUNCTION api_summary(args jsonb, role text, actor text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	a	jsonb := api_args(args);
	v_list	boolean;
	v_counts boolean;
	v_max	constant integer := 2000;
	v_out	jsonb;
BEGIN
	PERFORM api_enter(role, actor, '{noc,cs,admin}', 'GET /summary');
	v_list := coalesce(api_bool(a, 'incidents'), false);
	v_counts := coalesce(api_bool(a, 'counts'), true);
	SELECT jsonb_build_object('incidents_active', count(*),
	    'incidents_planned', count(*) FILTER (WHERE i.planned))
	INTO v_out
	FROM incidents i
	WHERE i.state IN ('suspected', 'confirmed') AND NOT i.individual;
	IF v_counts THEN
		v_out := v_out || api_summary_counts();
	END IF;
	IF v_list THEN
		v_out := v_out || jsonb_build_object(
		    'incidents', api_summary_list(v_max),
		    'truncated', (v_out->>'incidents_active')::bigint > v_max);
	END IF;
	RETURN v_out;
END;
$$;

-- Distinct accounts affected. An account hangs off one ONU or line, so
-- incidents whose places do not nest share none and their counts add up;
-- the engine merges an incident into the one above it, so that is the
-- usual case, and counting 200,000 rows on every change of the board
-- (0.35 s) is then not needed. When any pair may nest (or a place is
-- unknown) the rows are counted.
CREATE FUNCTION api_summary_accounts() RETURNS bigint
LANGUAGE sql STABLE AS $$
	WITH act AS (SELECT * FROM incidents i
	    WHERE i.state IN ('suspected', 'confirmed') AND NOT i.individual),
	nested AS (SELECT EXISTS (SELECT 1 FROM act WHERE act.device_id IS NULL)
	    OR EXISTS (SELECT 1 FROM act x JOIN act y
		ON y.device_id = x.device_id AND y.id <> x.id
		WHERE x.frame IS NULL OR (x.frame = y.frame
		    AND (x.slot IS NULL OR (x.slot = y.slot
		    AND (x.port IS NULL OR (x.port = y.port
		    AND (x.splitter IS NULL OR y.splitter IS NULL OR
			x.splitter = y.splitter)
		    AND (x.onu IS NULL OR y.onu IS NULL OR x.onu = y.onu)
		    AND (x.line IS NULL OR y.line IS NULL OR
			x.line = y.line))))))) AS yes)
	SELECT CASE WHEN (SELECT yes FROM nested) THEN
		(SELECT count(DISTINCT ia.subscriber_id) FROM act
		JOIN incident_accounts ia ON ia.incident_id = act.id)
	    ELSE (SELECT coalesce(sum(act.affected_accounts), 0) FROM act) END;
$$;

CREATE FUNCTION api_summary_counts() RETURNS jsonb
LANGUAGE sql STABLE AS $$
	WITH n AS (SELECT nt.incident_id, nt.state, count(*) AS c
	    FROM incidents i JOIN notifications nt ON nt.incident_id = i.id
	    WHERE i.state IN ('suspected', 'confirmed') AND NOT i.individual
	    GROUP BY nt.incident_id, nt.state)
	SELECT jsonb_build_object(
	    'accounts_affected', api_summary_accounts(),
	    'notifications', jsonb_build_object('queued', 0, 'sent', 0,
		'delivered', 0, 'failed', 0) || coalesce((SELECT
		jsonb_object_agg(s.state, s.c) FROM (SELECT n.state,
		sum(n.c) AS c FROM n GROUP BY n.state) s), '{}'),
	    'notices_by_incident', coalesce((SELECT
		jsonb_object_agg(b.incident_id::text, b.states) FROM
		(SELECT n.incident_id, jsonb_object_agg(n.state, n.c) AS states
		FROM n GROUP BY n.incident_id) b), '{}'),
	    'tickets_overdue', (SELECT count(DISTINCT o.id)
		FROM tickets_overdue o),
	    'alarms_active', (SELECT count(*) FROM alarms al
		WHERE al.state = 'raised'));
$$;

-- The active incidents, most accounts first, at most p_max.
CREATE FUNCTION api_summary_list(p_max integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	WITH act AS (SELECT i.* FROM incidents i
	    WHERE i.state IN ('suspected', 'confirmed') AND NOT i.individual
	    ORDER BY i.affected_accounts DESC, i.opened_at DESC
	    LIMIT p_max),
	tk AS (SELECT DISTINCT ON (t.incident_id) t.incident_id,
		jsonb_build_object('id', t.id, 'kind', t.kind,
		    'state', t.state, 'assignee', t.assignee, 'eta', t.eta) AS j
	    FROM tickets t JOIN act ON act.id = t.incident_id
	    WHERE t.kind IN ('outage', 'repair')
	    ORDER BY t.incident_id, t.kind = 'outage' DESC, t.id)
	SELECT coalesce(jsonb_agg(jsonb_build_object('id', act.id,
	    'uid', act.uid, 'scope', act.scope,
	    'device', CASE WHEN d.id IS NOT NULL THEN jsonb_build_object(
		'id', d.id, 'name', d.name, 'region', d.region) END,
	    'frame', act.frame, 'slot', act.slot, 'port', act.port,
	    'onu', act.onu, 'splitter', act.splitter, 'line', act.line,
	    'state', act.state, 'cause', act.cause, 'title', act.title,
	    'individual', act.individual, 'planned', act.planned,
	    'affected_accounts', act.affected_accounts,
	    'opened_at', act.opened_at, 'confirmed_at', act.confirmed_at,
	    'eta', act.estimated_restore_at, 'ticket', tk.j)
	    ORDER BY act.affected_accounts DESC, act.opened_at DESC), '[]')
	FROM act LEFT JOIN devices d ON d.id = act.device_id
	LEFT JOIN tk ON tk.incident_id = act.id;
$$;

-- Alarms per minute by kind over the last N minutes (default 60), oldest
-- first; the current minute is the last and still filling. Every kind
-- seen in the window has one number per minute, zeros included, so a
-- chart needs no gap filling.
CREATE FUNCTION api_alarm_rate(args jsonb, role text, actor text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	a	jsonb := api_args(args);
	v_min	integer;
	v_from	timestamptz;
BEGIN
	PERFORM api_enter(role, actor, '{noc,cs,admin}', 'GET /alarm_rate');
	v_min := api_int(a, 'minutes', 1, 1440, 60)::integer;
	v_from := date_trunc('minute', now()) - (v_min - 1) * interval '1 min';
	RETURN jsonb_build_object(
	    'minutes', (SELECT jsonb_agg(to_jsonb(m) ORDER BY m)
		FROM generate_series(v_from, date_trunc('minute', now()),
		    interval '1 min') m),
	    'kinds', coalesce((SELECT jsonb_object_agg(k.kind, k.counts)
		FROM (SELECT ks.kind, jsonb_agg(coalesce(c.n, 0) ORDER BY m.m)
			AS counts
		    FROM (SELECT DISTINCT al.kind FROM alarms al
			WHERE al.first_raised_at >= v_from) ks
		    CROSS JOIN generate_series(v_from,
			date_trunc('minute', now()), interval '1 min') m(m)
		    LEFT JOIN (SELECT al.kind,
			    date_trunc('minute', al.first_raised_at) AS m,
			    count(*) AS n
			FROM alarms al WHERE al.first_raised_at >= v_from
			GROUP BY 1, 2) c ON c.kind = ks.kind AND c.m = m.m
		    GROUP BY ks.kind) k), '{}'));
END;
$$;

-- Topology ----------------------------------------------------------------------

-- The network under an incident's scope, OLT > board > PON port >
-- splitter > ONU, each ONU marked affected (its account is the
-- incident's) and down (a raised onu.* alarm on it). An OLT incident holds
-- a few thousand ONUs; beyond 5,000 the tree is cut and says so.
CREATE FUNCTION api_incident_topology(args jsonb, role text, actor text)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	a	jsonb := api_args(args);
	v_id	bigint;
	v_inc	incidents;
	v_max	constant integer := 5000;
	v_n	bigint;
	v_tree	jsonb;
BEGIN
	PERFORM api_enter(role, actor, '{noc,cs,admin}',
	    'GET /incidents/{id}/topology');
	v_id := api_id(a);
	SELECT * INTO v_inc FROM incidents WHERE id = v_id;
	IF NOT FOUND THEN
		PERFORM api_not_found('incident', v_id);
	END IF;

	-- One ONU more than the cap tells that the tree was cut. A narrower
	-- scope (splitter, ONU) shows only the ports that hold its ONUs.
	SELECT count(*) INTO v_n FROM (SELECT 1 FROM boards b
	    JOIN ports p ON p.board_id = b.id
	    JOIN onus o ON o.port_id = p.id
	    LEFT JOIN splitters sp ON sp.id = o.splitter_id
	    WHERE b.device_id = v_inc.device_id
		AND (v_inc.frame IS NULL OR b.frame = v_inc.frame)
		AND (v_inc.slot IS NULL OR b.slot = v_inc.slot)
		AND (v_inc.port IS NULL OR p.port = v_inc.port)
		AND (v_inc.splitter IS NULL OR sp.name = v_inc.splitter)
		AND (v_inc.onu IS NULL OR o.onu_id = v_inc.onu)
	    LIMIT v_max + 1) c;

	WITH tp AS (SELECT p.id AS port_id, b.frame, b.slot, p.port, p.kind
	    FROM boards b JOIN ports p ON p.board_id = b.id
	    WHERE b.device_id = v_inc.device_id
		AND (v_inc.frame IS NULL OR b.frame = v_inc.frame)
		AND (v_inc.slot IS NULL OR b.slot = v_inc.slot)
		AND (v_inc.port IS NULL OR p.port = v_inc.port)),
	t AS (SELECT o.port_id, sp.name AS splitter, o.onu_id AS onu,
		o.serial, s.account,
		EXISTS (SELECT 1 FROM incident_accounts ia
		    JOIN subscribers s2 ON s2.id = ia.subscriber_id
		    WHERE ia.incident_id = v_id AND s2.onu_id = o.id)
		    AS affected,
		EXISTS (SELECT 1 FROM alarms al
		    WHERE al.device_id = v_inc.device_id
			AND al.state = 'raised' AND al.kind LIKE 'onu.%'
			AND al.frame = tp.frame AND al.slot = tp.slot
			AND al.port = tp.port AND al.onu = o.onu_id) AS down
	    FROM tp JOIN onus o ON o.port_id = tp.port_id
	    LEFT JOIN splitters sp ON sp.id = o.splitter_id
	    LEFT JOIN LATERAL (SELECT s.account FROM subscribers s
		WHERE s.onu_id = o.id ORDER BY s.account LIMIT 1) s ON true
	    WHERE (v_inc.splitter IS NULL OR sp.name = v_inc.splitter)
		AND (v_inc.onu IS NULL OR o.onu_id = v_inc.onu)
	    ORDER BY tp.frame, tp.slot, tp.port, o.onu_id
	    LIMIT v_max),
	sp AS (SELECT t.port_id, t.splitter,
		jsonb_agg(jsonb_build_object('onu', t.onu, 'serial', t.serial,
		    'account', t.account, 'affected', t.affected,
		    'down', t.down) ORDER BY t.onu) AS onus
	    FROM t GROUP BY t.port_id, t.splitter),
	pt AS (SELECT tp.frame, tp.slot, jsonb_agg(jsonb_build_object(
		'port', tp.port, 'kind', tp.kind,
		'splitters', coalesce((SELECT jsonb_agg(jsonb_build_object(
		    'name', sp.splitter, 'onus', sp.onus)
		    ORDER BY sp.splitter NULLS LAST)
		    FROM sp WHERE sp.port_id = tp.port_id), '[]'))
		ORDER BY tp.port) AS ports
	    FROM tp WHERE (v_inc.splitter IS NULL AND v_inc.onu IS NULL)
		OR EXISTS (SELECT 1 FROM t WHERE t.port_id = tp.port_id)
	    GROUP BY tp.frame, tp.slot)
	SELECT jsonb_agg(jsonb_build_object('frame', pt.frame,
	    'slot', pt.slot, 'ports', pt.ports) ORDER BY pt.frame, pt.slot)
	INTO v_tree FROM pt;

	RETURN jsonb_build_object('incident_id', v_id,
	    'scope', v_inc.scope,
	    'device', api_device_json(v_inc.device_id),
	    'boards', coalesce(v_tree, '[]'),
	    'truncated', v_n > v_max);
END;
$$;

-- Messages ------------------------------------------------------------------------

-- The texts sent for an incident: one item per distinct text (the body is
-- stored when it is sent), with how many carried it and in which state
-- each is now. Notices not rendered yet (queued, held, suppressed before
-- sending) have no body: they are counted in "pending" by state.
CREATE FUNCTION api_incident_messages(args jsonb, role text, actor text)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	a	jsonb := api_args(args);
	v_id	bigint;
BEGIN
	PERFORM api_enter(role, actor, '{noc,cs,admin}',
	    'GET /incidents/{id}/messages');
	v_id := api_id(a);
	IF NOT EXISTS (SELECT 1 FROM incidents WHERE id = v_id) THEN
		PERFORM api_not_found('incident', v_id);
	END IF;
	RETURN jsonb_build_object(
	    'items', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'kind', m.kind, 'language', m.language, 'body', m.body,
		'count', m.count, 'states', m.states,
		'first_sent_at', m.first_sent_at)
		ORDER BY m.first_sent_at, m.kind, m.language)
		FROM (SELECT g.kind, g.language, g.body, sum(g.n) AS count,
			jsonb_object_agg(g.state, g.n) AS states,
			min(g.first_sent_at) AS first_sent_at
		    FROM (SELECT nt.kind, nt.language, nt.body, nt.state,
			    count(*) AS n, min(nt.sent_at) AS first_sent_at
			FROM notifications nt
			WHERE nt.incident_id = v_id AND nt.body IS NOT NULL
			GROUP BY 1, 2, 3, 4) g
		    GROUP BY g.kind, g.language, g.body) m), '[]'),
	    'pending', coalesce((SELECT jsonb_object_agg(p.state, p.n)
		FROM (SELECT nt.state, count(*) AS n FROM notifications nt
		    WHERE nt.incident_id = v_id AND nt.body IS NULL
		    GROUP BY nt.state) p), '{}'));
END;
$$;
