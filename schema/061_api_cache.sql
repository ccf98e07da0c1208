-- 061_api_cache: what heraldd's API keeps in memory to answer a calling
-- subscriber's lookup without a query (daemon/api_cache.c): the database
-- ids of the rules engine's incidents and their tickets' state and ETA,
-- and the gauges /metrics shows.
--
-- The engine names an incident by its uid; the database gives it an id,
-- and the trigger of 050 opens its ticket. Both are told to heraldd on the
-- channel api_refs as they happen (a JSON payload, no query needed), and
-- read whole by api_incident_refs() at start, after a reconnect and every
-- minute, so a missed notification is repaired within a minute.

CREATE FUNCTION api_incident_ref(p_incident bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('uid', i.uid, 'id', i.id,
	    'ticket_id', t.id, 'ticket_state', t.state,
	    'eta', coalesce(t.eta, i.estimated_restore_at))
	FROM incidents i
	LEFT JOIN LATERAL (SELECT id, state, eta FROM tickets
	    WHERE incident_id = i.id AND kind IN ('outage', 'repair')
	    ORDER BY id LIMIT 1) t ON true
	WHERE i.id = p_incident;
$$;

-- Open incidents, under their own uid and every alias uid.
CREATE FUNCTION api_incident_refs() RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(r), '[]')
	FROM (SELECT api_incident_ref(i.id) AS r FROM incidents i
	    WHERE i.state IN ('suspected', 'confirmed')
	  UNION ALL
	  SELECT api_incident_ref(i.id) || jsonb_build_object('uid', a.uid)
	    FROM incident_aliases a JOIN incidents i ON i.id = a.incident_id
	    WHERE i.state IN ('suspected', 'confirmed')) x;
$$;

CREATE FUNCTION api_refs_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_incident	bigint;
	v_ref		jsonb;
BEGIN
	IF TG_TABLE_NAME = 'tickets' THEN
		v_incident := NEW.incident_id;
	ELSE
		v_incident := NEW.id;
	END IF;
	v_ref := api_incident_ref(v_incident);
	IF v_ref IS NOT NULL THEN
		PERFORM pg_notify('api_refs', v_ref::text);
	END IF;
	RETURN NULL;
END;
$$;
CREATE TRIGGER incidents_api_refs AFTER INSERT ON incidents
	FOR EACH ROW EXECUTE FUNCTION api_refs_notify();
CREATE TRIGGER tickets_api_refs AFTER INSERT OR UPDATE OF state, eta
	ON tickets FOR EACH ROW
	WHEN (NEW.kind IN ('outage', 'repair') AND NEW.incident_id IS NOT NULL)
	EXECUTE FUNCTION api_refs_notify();

CREATE FUNCTION api_alias_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('api_refs', (api_incident_ref(NEW.incident_id) ||
	    jsonb_build_object('uid', NEW.uid))::text);
	RETURN NULL;
END;
$$;
CREATE TRIGGER incident_aliases_api_refs AFTER INSERT ON incident_aliases
	FOR EACH ROW EXECUTE FUNCTION api_alias_notify();

-- /metrics: what is open now, by kind, state and cause. Counts of open
-- things only (partial indexes), so the query stays cheap as years of
-- incidents and tickets pile up.
CREATE FUNCTION api_gauges() RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
	    'alarms', (SELECT coalesce(jsonb_object_agg(kind, n), '{}')
		FROM (SELECT kind, count(*) AS n FROM alarms
		    WHERE state = 'raised' GROUP BY kind) x),
	    'incidents', (SELECT coalesce(jsonb_agg(jsonb_build_object(
		'state', state, 'cause', coalesce(cause, 'unknown'),
		'n', n)), '[]')
		FROM (SELECT state, cause, count(*) AS n FROM incidents
		    WHERE state IN ('suspected', 'confirmed')
		    GROUP BY state, cause) x),
	    'tickets', (SELECT coalesce(jsonb_agg(jsonb_build_object(
		'kind', kind, 'state', state, 'n', n)), '[]')
		FROM (SELECT kind, state, count(*) AS n FROM tickets
		    WHERE state NOT IN ('resolved', 'closed', 'cancelled')
		    GROUP BY kind, state) x),
	    'overdue', (SELECT coalesce(jsonb_object_agg(kind, n), '{}')
		FROM (SELECT kind, count(DISTINCT id) AS n
		    FROM tickets_overdue GROUP BY kind) x),
	    'notifications', (SELECT coalesce(jsonb_object_agg(state, n), '{}')
		FROM (SELECT state, count(*) AS n FROM notifications
		    WHERE state IN ('queued', 'sending') GROUP BY state) x));
$$;
