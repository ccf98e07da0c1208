-- 060_api: the HTTP API's database side (issue 10; interface fixed in
-- api-spec.md): the tokens heraldd accepts, and one function per route.
--
-- heraldd sends exactly "SELECT api_NAME($1::jsonb, $2, $3)" with the
-- query parameters (GET) or the request body (POST) as args, plus "id" from
-- the path; role and actor come from the token. So every check that makes
-- a request a bad one lives here, next to the data, and heraldd only maps
-- SQLSTATEs to HTTP status codes:
--	P0002 404, 42501 403, 22023 400, 23514/23505 409, 23503/23502 422.
-- A 22023 message starts with the field it is about ("limit: must be
-- 1..1000"): it is the detail the client sees.
--
-- Queries are static with "(v IS NULL OR col = v)" filters; no SQL is ever
-- built from strings, so nothing a client sends is more than a value.
-- Text is stored as given (quotes, 4-byte UTF-8, SQL in a complaint), only
-- bounded in length.
--
-- The parameters keep the names of the interface (args, role, actor). A
-- body whose queries read ticket_transitions copies role into v_role
-- first, and table columns are always qualified: those tables have
-- columns of the same names, and PL/pgSQL refuses an ambiguous reference.

-- Tokens --------------------------------------------------------------------

CREATE TABLE api_tokens (
	id		bigserial PRIMARY KEY,
	-- who: "zhang.wei", "cs-portal"; the actor in ticket history
	name		text NOT NULL,
	role		text NOT NULL CHECK (role IN ('noc', 'cs', 'admin', 'gateway')),
	-- lower-case hex SHA-256 of the token string; the token itself is
	-- never stored
	token_sha256	text NOT NULL UNIQUE,
	created_at	timestamptz NOT NULL DEFAULT now(),
	created_by	text NOT NULL DEFAULT current_user,
	revoked_at	timestamptz
);
CREATE UNIQUE INDEX api_tokens_name_active ON api_tokens (name)
	WHERE revoked_at IS NULL;
COMMENT ON TABLE api_tokens IS
	'bearer tokens of the HTTP API: "hrd_" + 43 base64url characters, kept as their SHA-256';

-- heraldd keeps the active tokens in memory: any change (heraldctl token
-- add / revoke, or a plain UPDATE) tells it to reload.
CREATE FUNCTION api_tokens_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('api_tokens_changed', '');
	RETURN NULL;
END;
$$;
CREATE TRIGGER api_tokens_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_tokens
	FOR EACH STATEMENT EXECUTE FUNCTION api_tokens_notify();

-- Role and session ------------------------------------------------------------

-- The role may use the route (else 42501); then the ticket workflow's
-- settings say who acts, for the history. The note is reset: a setting
-- left over from an earlier statement of the transaction must not be
-- written under this one.
CREATE FUNCTION api_enter(p_role text, p_actor text, p_allowed text[],
    p_route text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF p_role IS NULL OR NOT p_role = ANY (p_allowed) THEN
		RAISE EXCEPTION 'role % may not use %',
		    coalesce(p_role, '(none)'), p_route
		    USING ERRCODE = 'insufficient_privilege';
	END IF;
	PERFORM set_config('herald.role', p_role, true);
	PERFORM set_config('herald.actor', coalesce(p_actor, ''), true);
	PERFORM set_config('herald.note', '', true);
END;
$$;

-- Arguments -------------------------------------------------------------------

-- GET sends every parameter as a string, POST bodies send JSON numbers,
-- booleans and nulls: each parser takes both. An absent key, a JSON null
-- and an empty string all mean "not given".

CREATE FUNCTION api_args(p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	IF p_args IS NULL OR jsonb_typeof(p_args) = 'null' THEN
		RETURN '{}';
	END IF;
	IF jsonb_typeof(p_args) <> 'object' THEN
		RAISE EXCEPTION 'body: must be a JSON object'
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN p_args;
END;
$$;

-- A text field, at most p_max characters (characters, not bytes: a
-- Chinese address is not three times shorter than an English one).
CREATE FUNCTION api_text(p_args jsonb, p_field text, p_max integer,
    p_required boolean DEFAULT false) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	v_text	text;
BEGIN
	IF jsonb_typeof(p_args->p_field) IN ('object', 'array') THEN
		RAISE EXCEPTION '%: must be a string', p_field
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	v_text := nullif(p_args->>p_field, '');
	IF v_text IS NULL AND p_required THEN
		RAISE EXCEPTION '%: required', p_field
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF char_length(v_text) > p_max THEN
		RAISE EXCEPTION '%: at most % characters, not %', p_field, p_max,
		    char_length(v_text)
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN v_text;
END;
$$;

-- A whole number in p_min..p_max; p_default when not given.
CREATE FUNCTION api_int(p_args jsonb, p_field text, p_min bigint,
    p_max bigint, p_default bigint DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	v_text	text;
	v_num	bigint;
BEGIN
	IF jsonb_typeof(p_args->p_field) IN ('object', 'array', 'boolean') THEN
		RAISE EXCEPTION '%: not an integer', p_field
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	v_text := nullif(p_args->>p_field, '');
	IF v_text IS NULL THEN
		RETURN p_default;
	END IF;
	IF v_text !~ '^\s*[+-]?[0-9]+\s*$' THEN
		RAISE EXCEPTION '%: not an integer', p_field
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	BEGIN
		v_num := v_text::bigint;
	EXCEPTION WHEN numeric_value_out_of_range THEN
		v_num := NULL;
	END;
	IF v_num IS NULL OR v_num < p_min OR v_num > p_max THEN
		RAISE EXCEPTION '%: must be %..%', p_field, p_min, p_max
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN v_num;
END;
$$;

-- The id from the path, always there when heraldd calls; a missing one is
-- a caller's mistake, still a 400 and not a 500.
CREATE FUNCTION api_id(p_args jsonb) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	v_id	bigint := api_int(p_args, 'id', 1, 9223372036854775807);
BEGIN
	IF v_id IS NULL THEN
		RAISE EXCEPTION 'id: required'
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN v_id;
END;
$$;

-- A time, ISO 8601 or anything PostgreSQL reads; without an offset it is
-- the session's time zone. "infinity" is no time a person means.
CREATE FUNCTION api_time(p_args jsonb, p_field text) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_text	text;
	v_time	timestamptz;
BEGIN
	IF jsonb_typeof(p_args->p_field) IN ('object', 'array', 'boolean',
	    'number') THEN
		RAISE EXCEPTION '%: not a timestamp', p_field
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	v_text := nullif(p_args->>p_field, '');
	IF v_text IS NULL THEN
		RETURN NULL;
	END IF;
	-- ISO 8601 only: PostgreSQL would also take 'tomorrow', 'epoch' and
	-- the like, which no client means to send.
	IF v_text !~ '^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$' THEN
		RAISE EXCEPTION '%: not a timestamp', p_field
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	BEGIN
		v_time := v_text::timestamptz;
	EXCEPTION WHEN data_exception THEN
		RAISE EXCEPTION '%: not a timestamp', p_field
		    USING ERRCODE = 'invalid_parameter_value';
	END;
	IF NOT isfinite(v_time) THEN
		RAISE EXCEPTION '%: not a timestamp', p_field
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN v_time;
END;
$$;

CREATE FUNCTION api_bool(p_args jsonb, p_field text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	v_text	text := nullif(p_args->>p_field, '');
BEGIN
	IF v_text IS NULL THEN
		RETURN NULL;
	ELSIF v_text = 'true' THEN
		RETURN true;
	ELSIF v_text = 'false' THEN
		RETURN false;
	END IF;
	RAISE EXCEPTION '%: must be true or false', p_field
	    USING ERRCODE = 'invalid_parameter_value';
END;
$$;

-- One of a list of words; p_default when not given.
CREATE FUNCTION api_choice(p_args jsonb, p_field text, p_allowed text[],
    p_default text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	v_text	text := api_text(p_args, p_field, 100);
BEGIN
	IF v_text IS NULL THEN
		RETURN p_default;
	END IF;
	IF NOT v_text = ANY (p_allowed) THEN
		RAISE EXCEPTION '%: unknown value ''%'' (one of %)', p_field,
		    v_text, array_to_string(p_allowed, ', ')
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN v_text;
END;
$$;

CREATE FUNCTION api_limit(p_args jsonb) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
	SELECT api_int(p_args, 'limit', 1, 1000, 100)::integer;
$$;

CREATE FUNCTION api_offset(p_args jsonb) RETURNS integer
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	IF (p_args->>'offset') ~ '^\s*-' THEN
		RAISE EXCEPTION 'offset: must be >= 0'
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN api_int(p_args, 'offset', 0, 2147483647, 0)::integer;
END;
$$;

CREATE FUNCTION api_list(p_items jsonb, p_total bigint, p_limit integer,
    p_offset integer) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object('items', coalesce(p_items, '[]'),
	    'total', p_total, 'limit', p_limit, 'offset', p_offset);
$$;

-- The row a path names, or 404.
CREATE FUNCTION api_not_found(p_what text, p_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% %: not found', p_what, p_id
	    USING ERRCODE = 'no_data_found';
END;
$$;

-- Objects ---------------------------------------------------------------------

-- Shared by every route that shows the row, so that an alarm, an incident
-- or a ticket looks the same wherever it appears.

CREATE FUNCTION api_device_json(p_device bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', d.id, 'name', d.name,
	    'region', d.region)
	FROM devices d WHERE d.id = p_device;
$$;

CREATE FUNCTION api_alarm_json(alm alarms) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', alm.id,
	    'device', api_device_json(alm.device_id), 'kind', alm.kind,
	    'reduction_key', alm.reduction_key, 'frame', alm.frame,
	    'slot', alm.slot, 'port', alm.port, 'onu', alm.onu,
	    'line', alm.line, 'state', alm.state, 'source', alm.source,
	    'cause', alm.cause, 'raise_count', alm.raise_count,
	    'flapping', alm.flapping, 'first_raised_at', alm.first_raised_at,
	    'last_raised_at', alm.last_raised_at,
	    'cleared_at', alm.cleared_at, 'incident_id', alm.incident_id);
$$;

-- The incident's own ticket: the outage ticket, or the repair ticket of an
-- individual fault (an outage ticket first when a repair ticket was also
-- opened by hand on it).
CREATE FUNCTION api_incident_json(inc incidents) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', inc.id, 'uid', inc.uid,
	    'scope', inc.scope, 'scope_key', inc.scope_key,
	    'device', api_device_json(inc.device_id), 'frame', inc.frame,
	    'slot', inc.slot, 'port', inc.port, 'onu', inc.onu,
	    'splitter', inc.splitter, 'line', inc.line, 'state', inc.state,
	    'cause', inc.cause, 'title', inc.title,
	    'individual', inc.individual, 'planned', inc.planned,
	    'affected_accounts', inc.affected_accounts,
	    'affected_onus', inc.affected_onus, 'opened_at', inc.opened_at,
	    'confirmed_at', inc.confirmed_at, 'resolved_at', inc.resolved_at,
	    'eta', inc.estimated_restore_at, 'root_alarm', inc.root_alarm,
	    'ticket', (SELECT jsonb_build_object('id', t.id, 'kind', t.kind,
		'state', t.state, 'assignee', t.assignee, 'eta', t.eta)
		FROM tickets t WHERE t.incident_id = inc.id AND
		t.kind IN ('outage', 'repair')
		ORDER BY t.kind = 'outage' DESC, t.id LIMIT 1));
$$;

CREATE FUNCTION api_ticket_json(tk tickets) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', tk.id, 'kind', tk.kind,
	    'state', tk.state, 'priority', tk.priority, 'title', tk.title,
	    'incident_id', tk.incident_id, 'complaint_id', tk.complaint_id,
	    'parent_id', tk.parent_id, 'team', tk.team,
	    'assignee', tk.assignee, 'planned', tk.planned,
	    'affected_accounts', tk.affected_accounts, 'eta', tk.eta,
	    'opened_at', tk.opened_at, 'updated_at', tk.updated_at,
	    'responded_at', tk.responded_at, 'replied_at', tk.replied_at,
	    'resolved_at', tk.resolved_at, 'closed_at', tk.closed_at,
	    'deadlines', jsonb_build_object(
		'first_response', tk.first_response_due,
		'reply', tk.reply_due,
		'investigation', tk.investigation_due,
		'resolve', tk.resolve_due),
	    'overdue', coalesce((SELECT jsonb_agg(o.deadline ORDER BY o.due)
		FROM tickets_overdue o WHERE o.id = tk.id), '[]'));
$$;

CREATE FUNCTION api_complaint_json(cp complaints) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', cp.id, 'account', cp.account,
	    'subscriber_id', cp.subscriber_id, 'channel', cp.channel,
	    'category', cp.category, 'sub_category', cp.sub_category,
	    'content', cp.content, 'received_at', cp.received_at,
	    'incident_id', cp.incident_id, 'pre_notified', cp.pre_notified,
	    'repeat', cp.is_repeat, 'priority', cp.priority,
	    'escalated', cp.escalated);
$$;

CREATE FUNCTION api_maintenance_json(mw maintenance_windows) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', mw.id,
	    'device', (SELECT jsonb_build_object('id', d.id, 'name', d.name)
		FROM devices d WHERE d.id = mw.device_id),
	    'frame', mw.frame, 'slot', mw.slot, 'port', mw.port,
	    'splitter', mw.splitter, 'starts_at', mw.starts_at,
	    'ends_at', mw.ends_at, 'reason', mw.reason,
	    'created_by', mw.created_by, 'created_at', mw.created_at,
	    'active', mw.starts_at <= now() AND now() < mw.ends_at);
$$;

-- A ticket with everything GET /tickets/{id} shows; the POSTs on a ticket
-- answer with it too, so the client sees the history its step made.
CREATE FUNCTION api_ticket_full(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT api_ticket_json(t) || jsonb_build_object(
	    'history', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'at', h.at, 'actor', h.actor, 'role', h.role,
		'from', h.from_state, 'to', h.to_state, 'note', h.note)
		ORDER BY h.at, h.id)
		FROM ticket_history h WHERE h.ticket_id = t.id), '[]'),
	    'children', coalesce((SELECT jsonb_agg(api_ticket_json(c)
		ORDER BY c.id) FROM tickets c WHERE c.parent_id = t.id), '[]'),
	    'complaint', (SELECT api_complaint_json(c) FROM complaints c
		WHERE c.id = t.complaint_id),
	    'incident', (SELECT api_incident_json(i) FROM incidents i
		WHERE i.id = t.incident_id))
	FROM tickets t WHERE t.id = p_id;
$$;

-- Alarms and incidents --------------------------------------------------------

CREATE FUNCTION api_alarms(args jsonb, role text, actor text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	a	jsonb := api_args(args);
	v_state	text;
	v_kind	text;
	v_dev	text;
	v_reg	text;
	v_since	timestamptz;
	v_until	timestamptz;
	v_lim	integer;
	v_off	integer;
	v_items	jsonb;
	v_total	bigint;
BEGIN
	PERFORM api_enter(role, actor, '{noc,cs,admin}', 'GET /alarms');
	v_state := api_choice(a, 'state', '{raised,cleared,all}', 'raised');
	v_kind := api_text(a, 'kind', 100);
	v_dev := api_text(a, 'device', 200);
	v_reg := api_text(a, 'region', 200);
	v_since := api_time(a, 'since');
	v_until := api_time(a, 'until');
	v_lim := api_limit(a);
	v_off := api_offset(a);

	-- since is inclusive, until exclusive: consecutive windows never
	-- show an alarm twice. The CTE is read twice: the count of all that
	-- match, and the page.
	WITH f AS (SELECT al FROM alarms al JOIN devices d ON d.id = al.device_id
	    WHERE (v_state = 'all' OR al.state = v_state)
		AND (v_kind IS NULL OR al.kind = v_kind)
		AND (v_dev IS NULL OR d.name = v_dev)
		AND (v_reg IS NULL OR d.region = v_reg)
		AND (v_since IS NULL OR al.first_raised_at >= v_since)
		AND (v_until IS NULL OR al.first_raised_at < v_until))
	SELECT (SELECT count(*) FROM f),
	    (SELECT jsonb_agg(api_alarm_json(p.al) ORDER BY
		(p.al).last_raised_at DESC, (p.al).id DESC)
	    FROM (SELECT f.al FROM f ORDER BY (f.al).last_raised_at DESC,
		(f.al).id DESC LIMIT v_lim OFFSET v_off) p)
	INTO v_total, v_items;
	RETURN api_list(v_items, v_total, v_lim, v_off);
END;
$$;

CREATE FUNCTION api_incidents(args jsonb, role text, actor text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	a	jsonb := api_args(args);
	v_state	text;
	v_cause	text;
	v_dev	text;
	v_reg	text;
	v_since	timestamptz;
	v_until	timestamptz;
	v_plan	boolean;
	v_lim	integer;
	v_off	integer;
	v_items	jsonb;
	v_total	bigint;
BEGIN
	PERFORM api_enter(role, actor, '{noc,cs,admin}', 'GET /incidents');
	v_state := api_choice(a, 'state', '{open,suspected,confirmed,resolved,transient,merged,all}', 'open');
	v_cause := api_text(a, 'cause', 100);
	v_dev := api_text(a, 'device', 200);
	v_reg := api_text(a, 'region', 200);
	v_since := api_time(a, 'since');
	v_until := api_time(a, 'until');
	v_plan := api_bool(a, 'planned');
	v_lim := api_limit(a);
	v_off := api_offset(a);

	-- An incident whose device was deleted has none: it only matches
	-- when no device or region is asked for.
	WITH f AS (SELECT i FROM incidents i LEFT JOIN devices d
		ON d.id = i.device_id
	    WHERE (v_state = 'all' OR i.state = v_state OR
		(v_state = 'open' AND i.state IN ('suspected', 'confirmed')))
		AND (v_cause IS NULL OR i.cause = v_cause)
		AND (v_dev IS NULL OR d.name = v_dev)
		AND (v_reg IS NULL OR d.region = v_reg)
		AND (v_since IS NULL OR i.opened_at >= v_since)
		AND (v_until IS NULL OR i.opened_at < v_until)
		AND (v_plan IS NULL OR i.planned = v_plan))
	SELECT (SELECT count(*) FROM f),
	    (SELECT jsonb_agg(api_incident_json(p.i) ORDER BY
		(p.i).opened_at DESC, (p.i).id DESC)
	    FROM (SELECT f.i FROM f ORDER BY (f.i).opened_at DESC,
		(f.i).id DESC LIMIT v_lim OFFSET v_off) p)
	INTO v_total, v_items;
	RETURN api_list(v_items, v_total, v_lim, v_off);
END;
$$;

-- One incident with its evidence: the alarms, newest first, at most 200
-- (a device incident in a storm can gather thousands; alarm_count says
-- how many there are).
CREATE FUNCTION api_incident(args jsonb, role text, actor text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	a	jsonb := api_args(args);
	v_id	bigint;
	v_inc	incidents;
BEGIN
	PERFORM api_enter(role, actor, '{noc,cs,admin}', 'GET /incidents/{id}');
	v_id := api_id(a);
	SELECT * INTO v_inc FROM incidents WHERE id = v_id;
	IF NOT FOUND THEN
		PERFORM api_not_found('incident', v_id);
	END IF;
	RETURN api_incident_json(v_inc) || jsonb_build_object(
	    'alarms', coalesce((SELECT jsonb_agg(api_alarm_json(p.al) ORDER BY
		(p.al).last_raised_at DESC, (p.al).id DESC)
		FROM (SELECT al FROM alarms al WHERE al.incident_id = v_id
		    ORDER BY al.last_raised_at DESC, al.id DESC LIMIT 200) p),
		'[]'),
	    'alarm_count', (SELECT count(*) FROM alarms al
		WHERE al.incident_id = v_id),
	    'complaints', (SELECT count(*) FROM complaints c
		WHERE c.incident_id = v_id));
END;
$$;

-- The accounts an incident affects, with names, phones and addresses:
-- personal data, so only for the roles that work with subscribers (noc,
-- cs, admin; never a gateway token).
CREATE FUNCTION api_incident_accounts(args jsonb, role text, actor text)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	a	jsonb := api_args(args);
	v_id	bigint;
	v_lim	integer;
	v_off	integer;
	v_items	jsonb;
	v_total	bigint;
BEGIN
	PERFORM api_enter(role, actor, '{noc,cs,admin}',
	    'GET /incidents/{id}/accounts');
	v_id := api_id(a);
	v_lim := api_limit(a);
	v_off := api_offset(a);
	IF NOT EXISTS (SELECT 1 FROM incidents WHERE id = v_id) THEN
		PERFORM api_not_found('incident', v_id);
	END IF;
	SELECT count(*) INTO v_total FROM incident_accounts ia
	WHERE ia.incident_id = v_id;
	-- The place: the ONU (with its port, splitter and serial) or the DSL
	-- line's port; null for an account hanging off neither.
	SELECT jsonb_agg(jsonb_build_object('id', s.id, 'account', s.account,
	    'name', s.name, 'phones', to_jsonb(s.phones), 'region', s.region,
	    'address', s.address,
	    'place', CASE WHEN pt.id IS NOT NULL THEN jsonb_build_object(
		'device', d.name, 'frame', b.frame, 'slot', b.slot,
		'port', pt.port, 'splitter', sp.name, 'onu', o.onu_id,
		'serial', o.serial) END)
	    ORDER BY s.account)
	INTO v_items
	FROM (SELECT s.* FROM incident_accounts ia
		JOIN subscribers s ON s.id = ia.subscriber_id
	    WHERE ia.incident_id = v_id
	    ORDER BY s.account LIMIT v_lim OFFSET v_off) s
	LEFT JOIN onus o ON o.id = s.onu_id
	LEFT JOIN splitters sp ON sp.id = o.splitter_id
	LEFT JOIN dsl_lines dl ON dl.id = s.dsl_line_id
	LEFT JOIN ports pt ON pt.id = coalesce(o.port_id, dl.port_id)
	LEFT JOIN boards b ON b.id = pt.board_id
	LEFT JOIN devices d ON d.id = b.device_id;
	RETURN api_list(v_items, v_total, v_lim, v_off);
END;
$$;

-- Tickets -------------------------------------------------------------------

CREATE FUNCTION api_tickets(args jsonb, role text, actor text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	a	jsonb := api_args(args);
	v_state	text;
	v_kind	text;
	v_over	boolean;
	v_asg	text;
	v_inc	bigint;
	v_since	timestamptz;
	v_until	timestamptz;
	v_lim	integer;
	v_off	integer;
	v_items	jsonb;
	v_total	bigint;
BEGIN
	PERFORM api_enter(role, actor, '{noc,cs,admin}', 'GET /tickets');
	v_state := api_choice(a, 'state', '{open,all,new,acknowledged,dispatched,in_progress,resolved,closed,reopened,cancelled}', 'open');
	v_kind := api_choice(a, 'kind', '{outage,complaint,repair}');
	-- overdue=false is no filter, as if not given: the question the
	-- parameter answers is "only the late ones?".
	v_over := coalesce(api_bool(a, 'overdue'), false);
	v_asg := api_text(a, 'assignee', 200);
	v_inc := api_int(a, 'incident_id', 1, 9223372036854775807);
	v_since := api_time(a, 'since');
	v_until := api_time(a, 'until');
	v_lim := api_limit(a);
	v_off := api_offset(a);

	WITH f AS (SELECT t FROM tickets t
	    WHERE (v_state = 'all' OR t.state = v_state OR
		(v_state = 'open' AND t.state NOT IN ('resolved', 'closed',
		    'cancelled')))
		AND (v_kind IS NULL OR t.kind = v_kind)
		AND (NOT v_over OR EXISTS (SELECT 1 FROM tickets_overdue o
		    WHERE o.id = t.id))
		AND (v_asg IS NULL OR t.assignee = v_asg)
		AND (v_inc IS NULL OR t.incident_id = v_inc)
		AND (v_since IS NULL OR t.opened_at >= v_since)
		AND (v_until IS NULL OR t.opened_at < v_until))
	SELECT (SELECT count(*) FROM f),
	    (SELECT jsonb_agg(api_ticket_json(p.t) ORDER BY (p.t).priority,
		(p.t).opened_at DESC, (p.t).id DESC)
	    FROM (SELECT f.t FROM f ORDER BY (f.t).priority,
		(f.t).opened_at DESC, (f.t).id DESC
		LIMIT v_lim OFFSET v_off) p)
	INTO v_total, v_items;
	RETURN api_list(v_items, v_total, v_lim, v_off);
END;
$$;

CREATE FUNCTION api_ticket(args jsonb, role text, actor text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	a	jsonb := api_args(args);
	v_id	bigint;
	v_json	jsonb;
BEGIN
	PERFORM api_enter(role, actor, '{noc,cs,admin}', 'GET /tickets/{id}');
	v_id := api_id(a);
	v_json := api_ticket_full(v_id);
	IF v_json IS NULL THEN
		PERFORM api_not_found('ticket', v_id);
	END IF;
	RETURN v_json;
END;
$$;

-- The ticket a POST acts on, locked for the rest of the transaction (two
-- clicks on "acknowledge" run one after the other), or 404.
CREATE FUNCTION api_ticket_lock(p_id bigint) RETURNS tickets
LANGUAGE plpgsql AS $$
DECLARE
	v_t	tickets;
BEGIN
	SELECT * INTO v_t FROM tickets WHERE id = p_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM api_not_found('ticket', p_id);
	END IF;
	RETURN v_t;
END;
$$;

-- A change that is not a state change (assignee, ETA) still belongs in
-- the history: a row with from = to = the current state and a note saying
-- what changed.
CREATE FUNCTION api_ticket_note(p_t tickets, p_what text, p_note text)
RETURNS void
LANGUAGE sql AS $$
	INSERT INTO ticket_history (ticket_id, from_state, to_state, actor,
	    note, role)
	VALUES (p_t.id, p_t.state, p_t.state,
	    coalesce(herald_setting('herald.actor'), current_user),
	    p_what || coalesce(': ' || p_note, ''),
	    herald_setting('herald.role'));
$$;

-- Only repair tickets are opened by hand: an outage ticket comes from its
-- incident, a complaint ticket from its complaint. The account is checked
-- and written to the opening's history note (tickets have no account
-- column; the incident, when given, names the place).
CREATE FUNCTION api_ticket_create(args jsonb, role text, actor text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	a	jsonb := api_args(args);
	v_kind	text;
	v_title	text;
	v_acct	text;
	v_inc	bigint;
	v_prio	integer;
	v_team	text;
	v_asg	text;
	v_eta	timestamptz;
	v_id	bigint;
	v_other	bigint;
BEGIN
	PERFORM api_enter(role, actor, '{noc,admin}', 'POST /tickets');
	v_kind := api_text(a, 'kind', 100);
	IF coalesce(v_kind, 'repair') <> 'repair' THEN
		RAISE EXCEPTION 'kind: only repair tickets are opened by hand, not ''%'' (outage tickets come from incidents, complaint tickets from POST /complaints)',
		    v_kind USING ERRCODE = 'invalid_parameter_value';
	END IF;
	v_title := api_text(a, 'title', 500, true);
	v_acct := api_text(a, 'account', 100);
	v_inc := api_int(a, 'incident_id', 1, 9223372036854775807);
	v_prio := api_int(a, 'priority', 1, 5, 3);
	v_team := api_text(a, 'team', 200);
	v_asg := api_text(a, 'assignee', 200);
	v_eta := api_time(a, 'eta');

	IF v_acct IS NOT NULL AND NOT EXISTS (SELECT 1 FROM subscribers s
	    WHERE s.account = v_acct) THEN
		RAISE EXCEPTION 'account: no account ''%''', v_acct
		    USING ERRCODE = 'foreign_key_violation';
	END IF;
	IF v_inc IS NOT NULL AND NOT EXISTS (SELECT 1 FROM incidents i
	    WHERE i.id = v_inc) THEN
		RAISE EXCEPTION 'incident_id: no incident %', v_inc
		    USING ERRCODE = 'foreign_key_violation';
	END IF;
	SELECT t.id INTO v_other FROM tickets t
	WHERE t.incident_id = v_inc AND t.kind = 'repair';
	IF v_other IS NOT NULL THEN
		RAISE EXCEPTION 'incident_id: incident % has its repair ticket already (ticket %)',
		    v_inc, v_other USING ERRCODE = 'unique_violation';
	END IF;

	PERFORM set_config('herald.note', 'opened by hand' ||
	    coalesce(' for account ' || v_acct, ''), true);
	INSERT INTO tickets (kind, title, incident_id, priority, team,
	    assignee, eta)
	VALUES ('repair', v_title, v_inc, v_prio, v_team, v_asg, v_eta)
	RETURNING id INTO v_id;
	PERFORM set_config('herald.note', '', true);
	RETURN api_ticket_full(v_id);
END;
$$;

-- The workflow trigger decides which step is allowed; it raises 23514 for
-- all it refuses. The API tells two refusals apart: a role that may make
-- no step at all on this kind of ticket (cs on an outage ticket) is 403,
-- a step the workflow does not have (noc: closed -> acknowledged) is 409.
CREATE FUNCTION api_ticket_transition(args jsonb, role text, actor text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	a	jsonb := api_args(args);
	v_role	text := role;
	v_id	bigint;
	v_to	text;
	v_note	text;
	v_t	tickets;
BEGIN
	PERFORM api_enter(v_role, actor, '{noc,cs,admin}',
	    'POST /tickets/{id}/transition');
	v_id := api_id(a);
	v_to := api_text(a, 'to', 100, true);
	IF v_to NOT IN ('acknowledged', 'dispatched', 'in_progress',
	    'resolved', 'closed', 'reopened', 'cancelled') THEN
		RAISE EXCEPTION 'to: unknown state ''%'' (one of acknowledged, dispatched, in_progress, resolved, closed, reopened, cancelled)',
		    v_to USING ERRCODE = 'invalid_parameter_value';
	END IF;
	v_note := api_text(a, 'note', 2000);

	v_t := api_ticket_lock(v_id);
	IF NOT EXISTS (SELECT 1 FROM ticket_transitions tt
	    WHERE tt.kind = v_t.kind AND tt.role = v_role) THEN
		RAISE EXCEPTION 'role % may not change % tickets', v_role,
		    v_t.kind USING ERRCODE = 'insufficient_privilege';
	END IF;
	-- The trigger does nothing when the state stays; asking for the state
	-- the ticket is in is still no step of the workflow.
	IF v_t.state = v_to THEN
		RAISE EXCEPTION 'ticket %: is % already', v_id, v_to
		    USING ERRCODE = 'check_violation';
	END IF;
	PERFORM set_config('herald.note', coalesce(v_note, ''), true);
	UPDATE tickets SET state = v_to WHERE id = v_id;
	PERFORM set_config('herald.note', '', true);
	RETURN api_ticket_full(v_id);
END;
$$;

-- Customer service may assign complaint tickets only; an absent key keeps
-- its value, a null clears it.
CREATE FUNCTION api_ticket_assign(args jsonb, role text, actor text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	a	jsonb := api_args(args);
	v_role	text := role;
	v_id	bigint;
	v_asg	text;
	v_team	text;
	v_note	text;
	v_t	tickets;
BEGIN
	PERFORM api_enter(v_role, actor, '{noc,cs,admin}',
	    'POST /tickets/{id}/assign');
	v_id := api_id(a);
	v_asg := api_text(a, 'assignee', 200);
	v_team := api_text(a, 'team', 200);
	v_note := api_text(a, 'note', 2000);
	IF NOT (a ? 'assignee' OR a ? 'team') THEN
		RAISE EXCEPTION 'assignee: required (or team)'
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;

	v_t := api_ticket_lock(v_id);
	IF v_role = 'cs' AND v_t.kind <> 'complaint' THEN
		RAISE EXCEPTION 'role cs may assign complaint tickets only, not % tickets',
		    v_t.kind USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF v_t.state IN ('closed', 'cancelled') THEN
		RAISE EXCEPTION 'ticket %: is %, reopen it first', v_id,
		    v_t.state USING ERRCODE = 'check_violation';
	END IF;
	UPDATE tickets t SET
	    assignee = CASE WHEN a ? 'assignee' THEN v_asg ELSE t.assignee END,
	    team = CASE WHEN a ? 'team' THEN v_team ELSE t.team END,
	    updated_at = now()
	WHERE t.id = v_id
	RETURNING * INTO v_t;
	PERFORM api_ticket_note(v_t, 'assigned to ' ||
	    coalesce(v_t.assignee, '(nobody)') ||
	    coalesce(' (team ' || v_t.team || ')', ''), v_note);
	RETURN api_ticket_full(v_id);
END;
$$;

-- The ETA of an outage or repair ticket is its incident's: set there, it
-- is what the lookup and the SMS tell subscribers, and the 050 trigger
-- copies it to the ticket. The ticket is also set directly: that trigger
-- keeps the old ETA when the incident's is cleared, and the incident's
-- own ticket may be another one. An incident that has ended keeps its
-- ETA: changing it would run the 050 trigger, which resolves the
-- incident's ticket again when someone had reopened it.
CREATE FUNCTION api_ticket_eta(args jsonb, role text, actor text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	a	jsonb := api_args(args);
	v_id	bigint;
	v_eta	timestamptz;
	v_note	text;
	v_t	tickets;
BEGIN
	PERFORM api_enter(role, actor, '{noc,admin}', 'POST /tickets/{id}/eta');
	v_id := api_id(a);
	IF NOT a ? 'eta' THEN
		RAISE EXCEPTION 'eta: required (null clears it)'
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	v_eta := api_time(a, 'eta');
	v_note := api_text(a, 'note', 2000);

	v_t := api_ticket_lock(v_id);
	IF v_t.kind IN ('outage', 'repair') THEN
		UPDATE incidents i SET estimated_restore_at = v_eta
		WHERE i.id = v_t.incident_id AND
		    i.state IN ('suspected', 'confirmed');
	END IF;
	UPDATE tickets t SET eta = v_eta, updated_at = now()
	WHERE t.id = v_id
	RETURNING * INTO v_t;
	PERFORM api_ticket_note(v_t, 'eta set to ' ||
	    coalesce(to_jsonb(v_eta)#>>'{}', '(none)'), v_note);
	RETURN api_ticket_full(v_id);
END;
$$;

-- Complaints ------------------------------------------------------------------

-- The complaint row does the rest through the 050 triggers: the
-- subscriber by account (or by a phone naming one account), the open
-- incident, repeat, pre-notified, priority, and its ticket under the
-- outage ticket. The fields are checked here first so that a mistake gets
-- a message naming the field rather than a constraint's name.
CREATE FUNCTION api_complaint(args jsonb, role text, actor text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	a	jsonb := api_args(args);
	v_acct	text;
	v_phone	text;
	v_name	text;
	v_chan	text;
	v_cat	text;
	v_sub	text;
	v_text	text;
	v_recv	timestamptz;
	v_c	complaints;
	v_t	tickets;
BEGIN
	PERFORM api_enter(role, actor, '{cs,noc,admin}', 'POST /complaints');
	v_acct := api_text(a, 'account', 100);
	-- "138 0013 8000" as typed by an agent is the number on file.
	v_phone := nullif(regexp_replace(api_text(a, 'phone', 64), '\s', '',
	    'g'), '');
	v_name := api_text(a, 'caller_name', 200);
	IF v_acct IS NULL AND v_phone IS NULL THEN
		RAISE EXCEPTION 'account: required (or phone)'
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF api_text(a, 'channel', 100) IS NULL THEN
		RAISE EXCEPTION 'channel: required'
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	v_chan := api_choice(a, 'channel',
	    '{hotline,web,email,hall,social,12345,12315,miit}');
	IF api_text(a, 'category', 100) IS NULL THEN
		RAISE EXCEPTION 'category: required'
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	v_cat := api_choice(a, 'category',
	    '{network,service,delivery,billing,customer,other}');
	v_sub := api_text(a, 'sub_category', 100);
	-- The pairs are those of complaints_sub_category_check.
	IF v_sub IS NOT NULL AND (v_cat, v_sub) NOT IN (
	    ('network', 'auth_error'), ('network', 'no_pages'),
	    ('network', 'drops'), ('network', 'slow'),
	    ('service', 'some_sites'), ('service', 'stutter'),
	    ('delivery', 'installation'), ('delivery', 'move'),
	    ('delivery', 'repair'), ('customer', 'customer_side'),
	    ('billing', 'billing'), ('other', 'other')) THEN
		RAISE EXCEPTION 'sub_category: ''%'' is not a sub-category of %',
		    v_sub, v_cat USING ERRCODE = 'invalid_parameter_value';
	END IF;
	v_text := api_text(a, 'content', 4000, true);
	v_recv := coalesce(api_time(a, 'received_at'), now());

	INSERT INTO complaints (account, caller_phone, caller_name, channel,
	    category, sub_category, content, received_at)
	VALUES (v_acct, v_phone, v_name, v_chan, v_cat, v_sub, v_text, v_recv)
	RETURNING * INTO v_c;
	SELECT * INTO STRICT v_t FROM tickets t
	WHERE t.complaint_id = v_c.id AND t.kind = 'complaint';
	RETURN api_ticket_json(v_t) ||
	    jsonb_build_object('complaint', api_complaint_json(v_c));
END;
$$;

-- Maintenance windows ---------------------------------------------------------

CREATE FUNCTION api_maintenance(args jsonb, role text, actor text)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	a	jsonb := api_args(args);
	v_all	boolean;
	v_dev	text;
	v_lim	integer;
	v_off	integer;
	v_items	jsonb;
	v_total	bigint;
BEGIN
	PERFORM api_enter(role, actor, '{noc,cs,admin}', 'GET /maintenance');
	v_all := coalesce(api_bool(a, 'all'), false);
	v_dev := api_text(a, 'device', 200);
	v_lim := api_limit(a);
	v_off := api_offset(a);

	-- Soonest first: the running ones, then what comes next.
	WITH f AS (SELECT mw FROM maintenance_windows mw
		JOIN devices d ON d.id = mw.device_id
	    WHERE (v_all OR mw.ends_at > now())
		AND (v_dev IS NULL OR d.name = v_dev))
	SELECT (SELECT count(*) FROM f),
	    (SELECT jsonb_agg(api_maintenance_json(p.mw) ORDER BY
		(p.mw).starts_at, (p.mw).id)
	    FROM (SELECT f.mw FROM f ORDER BY (f.mw).starts_at, (f.mw).id
		LIMIT v_lim OFFSET v_off) p)
	INTO v_total, v_items;
	RETURN api_list(v_items, v_total, v_lim, v_off);
END;
$$;

-- The 040 CHECKs stay the guard; they are checked here first for messages
-- that say what to fix.
CREATE FUNCTION api_maintenance_add(args jsonb, role text, actor text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	a	jsonb := api_args(args);
	v_dname	text;
	v_did	bigint;
	v_dev	bigint;
	v_frame	integer;
	v_slot	integer;
	v_port	integer;
	v_split	text;
	v_start	timestamptz;
	v_end	timestamptz;
	v_why	text;
	v_mw	maintenance_windows;
BEGIN
	PERFORM api_enter(role, actor, '{noc,admin}', 'POST /maintenance');
	v_dname := api_text(a, 'device', 200);
	v_did := api_int(a, 'device_id', 1, 9223372036854775807);
	IF v_dname IS NULL AND v_did IS NULL THEN
		RAISE EXCEPTION 'device: required (or device_id)'
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	v_frame := api_int(a, 'frame', 0, 2147483647);
	v_slot := api_int(a, 'slot', 0, 2147483647);
	v_port := api_int(a, 'port', 0, 2147483647);
	v_split := api_text(a, 'splitter', 100);
	IF v_slot IS NOT NULL AND v_frame IS NULL THEN
		RAISE EXCEPTION 'slot: needs frame (a narrower scope names its parents)'
		    USING ERRCODE = 'invalid_parameter_value';
	ELSIF v_port IS NOT NULL AND v_slot IS NULL THEN
		RAISE EXCEPTION 'port: needs slot (a narrower scope names its parents)'
		    USING ERRCODE = 'invalid_parameter_value';
	ELSIF v_split IS NOT NULL AND v_port IS NULL THEN
		RAISE EXCEPTION 'splitter: needs port (a narrower scope names its parents)'
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	v_start := coalesce(api_time(a, 'starts_at'), now());
	v_end := api_time(a, 'ends_at');
	IF v_end IS NULL THEN
		RAISE EXCEPTION 'ends_at: required'
		    USING ERRCODE = 'invalid_parameter_value';
	ELSIF v_end <= v_start THEN
		RAISE EXCEPTION 'ends_at: must be after starts_at'
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	v_why := api_text(a, 'reason', 500, true);

	SELECT d.id INTO v_dev FROM devices d
	WHERE (v_dname IS NULL OR d.name = v_dname)
	    AND (v_did IS NULL OR d.id = v_did);
	IF v_dev IS NULL THEN
		RAISE EXCEPTION 'device: no device %', coalesce('''' || v_dname ||
		    '''', '') || CASE WHEN v_dname IS NOT NULL AND
		    v_did IS NOT NULL THEN ' with ' ELSE '' END ||
		    coalesce('id ' || v_did, '')
		    USING ERRCODE = 'foreign_key_violation';
	END IF;

	INSERT INTO maintenance_windows (device_id, frame, slot, port,
	    splitter, starts_at, ends_at, reason, created_by)
	VALUES (v_dev, v_frame, v_slot, v_port, v_split, v_start, v_end,
	    v_why, coalesce(nullif(actor, ''), current_user))
	RETURNING * INTO v_mw;
	RETURN api_maintenance_json(v_mw);
END;
$$;

CREATE FUNCTION api_maintenance_delete(args jsonb, role text, actor text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	a	jsonb := api_args(args);
	v_id	bigint;
BEGIN
	PERFORM api_enter(role, actor, '{noc,admin}',
	    'DELETE /maintenance/{id}');
	v_id := api_id(a);
	DELETE FROM maintenance_windows mw WHERE mw.id = v_id;
	IF NOT FOUND THEN
		PERFORM api_not_found('maintenance window', v_id);
	END IF;
	RETURN jsonb_build_object('deleted', v_id);
END;
$$;
