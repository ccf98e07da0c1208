-- 070_notify: the outbox of subscriber notifications (issue 11; interface
-- fixed in outbox-spec.md, daemon side in daemon/notify.c).
--
-- Exactly once comes from the database, not from heraldd:
--   * outage, restored and update notices are written by triggers in the
--     transaction that confirms, extends, resolves or re-times the
--     incident (one rules_write_incident call), and every insert meets a
--     unique index with ON CONFLICT DO NOTHING, so a re-sent statement, a
--     restarted heraldd or a second instance can never queue one twice;
--   * senders claim rows with FOR UPDATE SKIP LOCKED and move them to
--     'sending' before the gateway is asked, so no two senders hold one;
--   * a row left in 'sending' is sent again only when the gateway cannot
--     have accepted it (notify_recover, below).
-- Enqueueing is set-based (one INSERT ... SELECT per incident, whatever
-- the number of accounts): a regional storm confirms tens of thousands at
-- once and must not hold the rules engine's connection for long.

-- Table changes -----------------------------------------------------------

ALTER TABLE notifications DROP CONSTRAINT notifications_state_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_state_check CHECK
	(state IN ('queued', 'held', 'sending', 'sent', 'delivered', 'failed',
	'expired', 'cancelled', 'dead', 'suppressed'));
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK
	(kind IN ('outage', 'restored', 'update', 'planned', 'complaint',
	'manual'));

ALTER TABLE notifications
	-- Rendered by heraldd from the templates when it is sent (the ETA
	-- and the signature are those of that moment), stored once sent.
	ALTER COLUMN body DROP NOT NULL,
	-- outage and restored 1, planned 2, update 3: a regional event
	-- drains in this order, so a new outage is never starved by updates.
	ADD COLUMN priority	smallint NOT NULL DEFAULT 3,
	-- Never sent after this: a late outage text is worse than none.
	ADD COLUMN valid_until	timestamptz,
	-- Update notices of one incident and subscriber: 1, 2, ...
	ADD COLUMN seq		integer NOT NULL DEFAULT 0,
	ADD COLUMN window_id	bigint REFERENCES maintenance_windows
			    ON DELETE SET NULL,
	ADD COLUMN claimed_by	text,
	ADD COLUMN claimed_at	timestamptz,
	ADD COLUMN gateway	text,
	ADD COLUMN segments	integer,
	-- Why suppressed, cancelled, expired, dead or put back in the queue.
	ADD COLUMN reason	text;
-- 001's UNIQUE put every NULL token in the index too: a storm's queued
-- notices have none until they are claimed.
ALTER TABLE notifications DROP CONSTRAINT notifications_dlr_token_key;
CREATE UNIQUE INDEX notifications_dlr_token ON notifications (dlr_token)
	WHERE dlr_token IS NOT NULL;
COMMENT ON COLUMN notifications.dlr_token IS
	'set at the first claim, 122 random bits; names the message in the gateway''s delivery-report URL';

DROP INDEX notifications_once;
CREATE UNIQUE INDEX notifications_once ON notifications
	(incident_id, subscriber_id, kind, seq)
	WHERE incident_id IS NOT NULL AND subscriber_id IS NOT NULL;
CREATE UNIQUE INDEX notifications_planned_once ON notifications
	(window_id, subscriber_id) WHERE kind = 'planned';
-- Deleting a window sets window_id to NULL: found through this.
CREATE INDEX notifications_window ON notifications (window_id)
	WHERE window_id IS NOT NULL;

-- What notify_claim reads, in the order it claims: only due rows are in
-- the queue part, so the scan stops after p_limit rows.
DROP INDEX notifications_due;
CREATE INDEX notifications_claim ON notifications
	(priority, next_attempt_at, id) WHERE state = 'queued';
CREATE INDEX notifications_held ON notifications (next_attempt_at)
	WHERE state = 'held';
CREATE INDEX notifications_validity ON notifications (valid_until)
	WHERE state IN ('queued', 'held') AND valid_until IS NOT NULL;
CREATE INDEX notifications_sending ON notifications (claimed_at)
	WHERE state = 'sending';

-- A resolution finds the incidents merged into it by their merged_into.
CREATE INDEX incidents_merged_into ON incidents (merged_into)
	WHERE merged_into IS NOT NULL;

CREATE TABLE notify_settings (
	id		integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
	validity	interval NOT NULL DEFAULT '4 hours'
			    CHECK (validity > interval '0'),
	-- No quiet hours when either is NULL or both are equal.
	quiet_start	time DEFAULT '22:00',
	quiet_end	time DEFAULT '08:00',
	tz		text NOT NULL DEFAULT 'Asia/Shanghai',
	update_on_eta	boolean NOT NULL DEFAULT false,
	grace		interval NOT NULL DEFAULT '2 minutes'
			    CHECK (grace >= interval '0'),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
INSERT INTO notify_settings DEFAULT VALUES;
COMMENT ON TABLE notify_settings IS
	'the one row of outbox settings, written by heraldd from herald.conf (notify_configure)';

-- Helpers -----------------------------------------------------------------

-- The settings row; the defaults if someone deleted it, so that a missing
-- row can never silently stop every notice.
CREATE FUNCTION notify_settings() RETURNS notify_settings
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT s FROM notify_settings s WHERE id = 1),
	    ROW(1, interval '4 hours', time '22:00', time '08:00',
	    'Asia/Shanghai', false, interval '2 minutes',
	    now())::notify_settings);
$$;

-- The first mobile number of an account (fixed lines cannot take an SMS),
-- or '' when it has none.
CREATE FUNCTION notify_mobile(phones text[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce((SELECT p FROM unnest(phones) WITH ORDINALITY u(p, o)
	    WHERE p ~ '^1[3-9][0-9]{9}$' ORDER BY o LIMIT 1), '');
$$;

-- Why an account is not texted, or NULL when it is.
CREATE FUNCTION notify_suppress_reason(opt_out boolean, contact text,
    phone text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN opt_out THEN 'opted out'
	    WHEN contact = 'voice' THEN 'contact by voice'
	    WHEN contact <> 'sms' THEN 'no contact'
	    WHEN phone = '' THEN 'no mobile number' END;
$$;

-- An incident and every incident merged into it, at any depth (a port
-- into its board, the board into its OLT), by uid or by an alias uid of
-- the one it was merged into.
CREATE FUNCTION notify_family(p_incident bigint) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
	WITH RECURSIVE f(id) AS (
		SELECT p_incident
	    UNION
		SELECT m.id FROM f
		CROSS JOIN LATERAL (SELECT i.uid FROM incidents i
		    WHERE i.id = f.id
		    UNION ALL
		    SELECT a.uid FROM incident_aliases a
		    WHERE a.incident_id = f.id) u
		JOIN incidents m ON m.merged_into = u.uid
	)
	SELECT id FROM f;
$$;

-- The incident that stands for this one now: itself, or the one it was
-- merged into (followed up to a bounded depth: merged_into is written by
-- the engine, and a cycle must not hang a sender).
CREATE FUNCTION notify_root(p_incident bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
	WITH RECURSIVE r(id, depth) AS (
		SELECT p_incident, 0
	    UNION ALL
		SELECT rules_incident_id(i.merged_into), r.depth + 1
		FROM r JOIN incidents i ON i.id = r.id
		WHERE i.state = 'merged' AND r.depth < 16 AND
		    rules_incident_id(i.merged_into) IS NOT NULL
	)
	SELECT id FROM r ORDER BY depth DESC LIMIT 1;
$$;

-- Whether a local time is inside the quiet hours [start, end), which may
-- run over midnight.
CREATE FUNCTION notify_quiet(t time, q_start time, q_end time)
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(CASE WHEN q_start < q_end THEN t >= q_start AND t < q_end
	    WHEN q_start > q_end THEN t >= q_start OR t < q_end
	    ELSE false END, false);
$$;

-- Outage notices ----------------------------------------------------------

-- One outage notice per account of the incident (p_subs NULL) or per
-- account in p_subs (those just added), when the incident is confirmed and
-- neither planned nor individual. A subscriber who already holds an
-- active outage notice for another incident that is open or was merged
-- (a port outage absorbed into its board's) is skipped: they have been
-- told, and the restoration of the bigger one reaches them through the
-- merge. Those we must not text are written as suppressed with the
-- reason, so the incident shows why they heard nothing.
CREATE FUNCTION notify_enqueue_outage(p_incident bigint, p_subs bigint[])
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_validity	interval := (notify_settings()).validity;
	n		integer;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM incidents WHERE id = p_incident AND
	    state = 'confirmed' AND NOT planned AND NOT individual) THEN
		RETURN 0;
	END IF;
	INSERT INTO notifications (subscriber_id, incident_id, kind, phone,
	    language, state, reason, priority, valid_until)
	SELECT s.id, p_incident, 'outage', m.phone, s.language,
	    CASE WHEN r.reason IS NULL THEN 'queued' ELSE 'suppressed' END,
	    r.reason, 1, now() + v_validity
	FROM (SELECT a.subscriber_id FROM incident_accounts a
		WHERE a.incident_id = p_incident AND p_subs IS NULL
	    UNION
		SELECT u FROM unnest(p_subs) u) t
	JOIN subscribers s ON s.id = t.subscriber_id
	-- OFFSET 0: once per account (flattened, the planner would copy the
	-- call into every expression that uses the phone).
	CROSS JOIN LATERAL (SELECT notify_mobile(s.phones) AS phone OFFSET 0) m
	CROSS JOIN LATERAL (SELECT notify_suppress_reason(s.sms_opt_out,
	    s.contact, m.phone) AS reason) r
	WHERE NOT EXISTS (SELECT 1 FROM notifications o
	    JOIN incidents oi ON oi.id = o.incident_id
	    WHERE o.subscriber_id = s.id AND o.kind = 'outage' AND
	    o.incident_id <> p_incident AND
	    o.state IN ('queued', 'held', 'sending', 'sent', 'delivered') AND
	    oi.state IN ('suspected', 'confirmed', 'merged'))
	-- Ids in account order: a storm is sent in a stable order.
	ORDER BY s.id
	ON CONFLICT DO NOTHING;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END;
$$;

-- Restoration -------------------------------------------------------------

-- The incident has ended: what was not sent about it (or about those
-- merged into it) is cancelled, and whoever was told gets one restored
-- notice under this incident. The 'sending' outage notices of the family
-- are locked first: a sender committing "sent" for one at this moment
-- either commits before (and the INSERT below sees it sent) or waits
-- for this transaction and then finds the incident resolved
-- (notify_restore_late). Without the lock each transaction could miss
-- the other's change and the restored notice would be lost.
CREATE FUNCTION notify_restore(p_incident bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_family	bigint[] := ARRAY(SELECT notify_family(p_incident));
	v_validity	interval := (notify_settings()).validity;
	n		integer;
BEGIN
	PERFORM 1 FROM notifications
	WHERE incident_id = ANY (v_family) AND kind = 'outage' AND
	    state = 'sending'
	FOR UPDATE;

	-- Update notices too: an ETA for an outage that is over says nothing.
	UPDATE notifications SET state = 'cancelled',
	    reason = 'resolved before sending'
	WHERE incident_id = ANY (v_family) AND kind IN ('outage', 'update')
	    AND state IN ('queued', 'held');

	INSERT INTO notifications (subscriber_id, incident_id, kind, phone,
	    language, state, reason, priority, valid_until)
	SELECT DISTINCT ON (o.subscriber_id) o.subscriber_id, p_incident,
	    'restored', o.phone, o.language,
	    CASE WHEN s.sms_opt_out THEN 'suppressed' ELSE 'queued' END,
	    CASE WHEN s.sms_opt_out THEN 'opted out' END, 1,
	    now() + v_validity
	FROM notifications o
	JOIN subscribers s ON s.id = o.subscriber_id
	WHERE o.incident_id = ANY (v_family) AND o.kind = 'outage' AND
	    o.state IN ('sent', 'delivered')
	ORDER BY o.subscriber_id, o.id
	ON CONFLICT DO NOTHING;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END;
$$;

-- An outage notice that became sent or delivered after its incident (or
-- the incident it was merged into) had ended gets its restored notice now.
CREATE FUNCTION notify_restore_late(p_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	v_n	notifications;
	v_root	bigint;
BEGIN
	SELECT * INTO v_n FROM notifications WHERE id = p_id;
	IF v_n.kind IS DISTINCT FROM 'outage' OR v_n.incident_id IS NULL OR
	    v_n.subscriber_id IS NULL OR
	    v_n.state NOT IN ('sent', 'delivered') THEN
		RETURN;
	END IF;
	-- Nearly always the incident is still open: say so without walking
	-- the merge chain (this runs for every message sent).
	IF EXISTS (SELECT 1 FROM incidents WHERE id = v_n.incident_id AND
	    state IN ('suspected', 'confirmed')) THEN
		RETURN;
	END IF;
	v_root := notify_root(v_n.incident_id);
	IF NOT EXISTS (SELECT 1 FROM incidents WHERE id = v_root AND
	    state IN ('resolved', 'transient')) THEN
		RETURN;
	END IF;
	INSERT INTO notifications (subscriber_id, incident_id, kind, phone,
	    language, state, reason, priority, valid_until)
	SELECT v_n.subscriber_id, v_root, 'restored', v_n.phone,
	    v_n.language,
	    CASE WHEN s.sms_opt_out THEN 'suppressed' ELSE 'queued' END,
	    CASE WHEN s.sms_opt_out THEN 'opted out' END, 1,
	    now() + (notify_settings()).validity
	FROM subscribers s WHERE s.id = v_n.subscriber_id
	ON CONFLICT DO NOTHING;
END;
$$;

-- Update notices ------------------------------------------------------------

-- The ETA of a confirmed incident changed: one more update notice for
-- everyone told of it (or of an incident merged into it). An older update
-- still waiting is cancelled: the text is rendered at send time with the
-- current ETA, so both would say the same.
CREATE FUNCTION notify_enqueue_update(p_incident bigint) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT (notify_settings()).update_on_eta THEN
		RETURN 0;
	END IF;
	RETURN notify_queue_update(p_incident);
END;
$$;

-- An outage still going on after p_age (notify.update_after): one update
-- notice, once, to those told of it ("still working on it"). heraldd
-- calls it every few seconds; SKIP LOCKED lets several do so at once.
CREATE FUNCTION notify_age_updates(p_age interval) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_inc	bigint;
	n	integer := 0;
BEGIN
	FOR v_inc IN SELECT i.id FROM incidents i
	    WHERE i.state = 'confirmed' AND NOT i.planned AND NOT i.individual
		AND i.confirmed_at < now() - p_age
		AND NOT EXISTS (SELECT 1 FROM notifications u
		    WHERE u.incident_id = i.id AND u.kind = 'update')
	    ORDER BY i.id FOR UPDATE OF i SKIP LOCKED
	LOOP
		n := n + notify_queue_update(v_inc);
	END LOOP;
	RETURN n;
END;
$$;

CREATE FUNCTION notify_queue_update(p_incident bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_family	bigint[];
	n		integer;
BEGIN
	v_family := ARRAY(SELECT notify_family(p_incident));
	UPDATE notifications SET state = 'cancelled', reason = 'superseded'
	WHERE incident_id = p_incident AND kind = 'update' AND
	    state IN ('queued', 'held');
	INSERT INTO notifications (subscriber_id, incident_id, kind, phone,
	    language, state, reason, priority, seq, valid_until)
	SELECT o.subscriber_id, p_incident, 'update', o.phone, o.language,
	    CASE WHEN s.sms_opt_out THEN 'suppressed' ELSE 'queued' END,
	    CASE WHEN s.sms_opt_out THEN 'opted out' END, 3,
	    coalesce((SELECT max(u.seq) FROM notifications u
		WHERE u.incident_id = p_incident AND
		u.subscriber_id = o.subscriber_id AND u.kind = 'update'), 0) + 1,
	    now() + (notify_settings()).validity
	FROM (SELECT DISTINCT ON (subscriber_id) subscriber_id, phone, language
	    FROM notifications
	    WHERE incident_id = ANY (v_family) AND kind = 'outage' AND
		state IN ('sent', 'delivered') AND subscriber_id IS NOT NULL
	    ORDER BY subscriber_id, id) o
	JOIN subscribers s ON s.id = o.subscriber_id
	ON CONFLICT DO NOTHING;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END;
$$;

-- Triggers: the incident's transaction writes its notices ------------------

-- rules_write_incident UPDATEs the incident, then INSERTs its accounts:
-- the row trigger covers the accounts it already had when it becomes
-- confirmed (or stops being planned or individual), the statement trigger
-- on incident_accounts those added while or after it is confirmed.
CREATE FUNCTION incident_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.state IN ('resolved', 'transient') THEN
		IF TG_OP = 'INSERT' OR OLD.state NOT IN ('resolved', 'transient')
		THEN
			PERFORM notify_restore(NEW.id);
		END IF;
		RETURN NULL;
	END IF;
	IF TG_OP = 'UPDATE' AND NEW.state = 'confirmed' AND NOT NEW.planned AND
	    NOT NEW.individual AND NOT (OLD.state = 'confirmed' AND
	    NOT OLD.planned AND NOT OLD.individual) THEN
		PERFORM notify_enqueue_outage(NEW.id, NULL);
	END IF;
	IF TG_OP = 'UPDATE' AND NEW.state = 'confirmed' AND
	    NEW.estimated_restore_at IS NOT NULL AND
	    NEW.estimated_restore_at IS DISTINCT FROM OLD.estimated_restore_at
	THEN
		PERFORM notify_enqueue_update(NEW.id);
	END IF;
	RETURN NULL;
END;
$$;
CREATE TRIGGER incidents_notify_insert AFTER INSERT ON incidents
	FOR EACH ROW WHEN (NEW.state IN ('resolved', 'transient'))
	EXECUTE FUNCTION incident_notify();
CREATE TRIGGER incidents_notify_update AFTER UPDATE ON incidents
	FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR
	    OLD.planned IS DISTINCT FROM NEW.planned OR
	    OLD.individual IS DISTINCT FROM NEW.individual OR
	    OLD.estimated_restore_at IS DISTINCT FROM NEW.estimated_restore_at)
	EXECUTE FUNCTION incident_notify();

-- Accounts added: grouped by incident, one set-based insert each.
CREATE FUNCTION incident_accounts_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	r	record;
BEGIN
	FOR r IN SELECT n.incident_id, array_agg(n.subscriber_id) AS subs
	    FROM added n JOIN incidents i ON i.id = n.incident_id
	    WHERE i.state = 'confirmed' AND NOT i.planned AND NOT i.individual
	    GROUP BY n.incident_id LOOP
		PERFORM notify_enqueue_outage(r.incident_id, r.subs);
	END LOOP;
	RETURN NULL;
END;
$$;
CREATE TRIGGER incident_accounts_notify AFTER INSERT ON incident_accounts
	REFERENCING NEW TABLE AS added
	FOR EACH STATEMENT EXECUTE FUNCTION incident_accounts_notify();

-- Planned maintenance -------------------------------------------------------

-- Windows starting within p_lead that have no notice yet: one planned
-- notice per account under the window's scope, suppressed by the same
-- rules as an outage notice. Valid until the window starts: a warning
-- that arrives after the work began is no warning. Returns how many
-- notices were written (suppressed ones included).
CREATE FUNCTION notify_plan(p_lead interval) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	n	integer;
BEGIN
	INSERT INTO notifications (subscriber_id, kind, phone, language,
	    state, reason, priority, window_id, valid_until)
	SELECT s.id, 'planned', m.phone, s.language,
	    CASE WHEN r.reason IS NULL THEN 'queued' ELSE 'suppressed' END,
	    r.reason, 2, w.id, w.starts_at
	FROM maintenance_windows w
	JOIN subscriber_locations l ON l.device_id = w.device_id AND
	    (w.frame IS NULL OR l.frame = w.frame) AND
	    (w.slot IS NULL OR l.slot = w.slot) AND
	    (w.port IS NULL OR l.port = w.port) AND
	    (w.splitter IS NULL OR l.splitter = w.splitter)
	JOIN subscribers s ON s.id = l.subscriber_id
	-- OFFSET 0: once per account (flattened, the planner would copy the
	-- call into every expression that uses the phone).
	CROSS JOIN LATERAL (SELECT notify_mobile(s.phones) AS phone OFFSET 0) m
	CROSS JOIN LATERAL (SELECT notify_suppress_reason(s.sms_opt_out,
	    s.contact, m.phone) AS reason) r
	WHERE w.starts_at > now() AND w.starts_at <= now() + p_lead AND
	    NOT EXISTS (SELECT 1 FROM notifications x WHERE x.window_id = w.id)
	ON CONFLICT DO NOTHING;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END;
$$;

-- Functions heraldd calls -------------------------------------------------

-- Settings from herald.conf; keys that are absent (or null) keep their
-- value, except quiet_start and quiet_end: null or "" there means no
-- quiet hours.
CREATE FUNCTION notify_configure(s jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	v	notify_settings := notify_settings();
BEGIN
	IF s IS NULL OR jsonb_typeof(s) <> 'object' THEN
		RAISE EXCEPTION 'notify_configure: a JSON object is required'
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	BEGIN
		IF nullif(s->>'validity_seconds', '') IS NOT NULL THEN
			v.validity := (s->>'validity_seconds')::double precision *
			    interval '1 second';
		END IF;
		IF nullif(s->>'grace_seconds', '') IS NOT NULL THEN
			v.grace := (s->>'grace_seconds')::double precision *
			    interval '1 second';
		END IF;
		IF s ? 'quiet_start' THEN
			v.quiet_start := nullif(s->>'quiet_start', '')::time;
		END IF;
		IF s ? 'quiet_end' THEN
			v.quiet_end := nullif(s->>'quiet_end', '')::time;
		END IF;
		IF nullif(s->>'update_on_eta', '') IS NOT NULL THEN
			v.update_on_eta := (s->>'update_on_eta')::boolean;
		END IF;
		IF nullif(s->>'tz', '') IS NOT NULL THEN
			v.tz := s->>'tz';
			-- Refuses a zone PostgreSQL does not know.
			PERFORM now() AT TIME ZONE v.tz;
		END IF;
	EXCEPTION WHEN data_exception THEN
		RAISE EXCEPTION 'notify_configure: %', SQLERRM
		    USING ERRCODE = 'invalid_parameter_value';
	END;
	INSERT INTO notify_settings AS o (id, validity, quiet_start,
	    quiet_end, tz, update_on_eta, grace, updated_at)
	VALUES (1, v.validity, v.quiet_start, v.quiet_end, v.tz,
	    v.update_on_eta, v.grace, now())
	ON CONFLICT (id) DO UPDATE SET validity = EXCLUDED.validity,
	    quiet_start = EXCLUDED.quiet_start,
	    quiet_end = EXCLUDED.quiet_end, tz = EXCLUDED.tz,
	    update_on_eta = EXCLUDED.update_on_eta, grace = EXCLUDED.grace,
	    updated_at = now();
END;
$$;

-- What a sender needs to render and send one notice.
CREATE FUNCTION notify_epoch(t timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
	SELECT floor(extract(epoch FROM t))::bigint;
$$;

CREATE FUNCTION notify_json(n notifications) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', n.id, 'kind', n.kind,
	    'phone', n.phone, 'language', n.language,
	    'attempts', n.attempts, 'dlr_token', n.dlr_token,
	    'subscriber_id', n.subscriber_id,
	    'account', (SELECT s.account FROM subscribers s
		WHERE s.id = n.subscriber_id),
	    'incident_id', n.incident_id,
	    'incident', (SELECT jsonb_build_object('cause', i.cause,
		'title', i.title, 'scope', i.scope,
		'opened_at', notify_epoch(i.opened_at),
		'eta', notify_epoch(i.estimated_restore_at),
		'region', d.region, 'site', d.site, 'device', d.name,
		'ticket_id', (SELECT t.id FROM tickets t
		    WHERE t.incident_id = i.id AND t.kind = 'outage'))
		FROM incidents i LEFT JOIN devices d ON d.id = i.device_id
		WHERE i.id = n.incident_id),
	    'window', (SELECT jsonb_build_object(
		'starts_at', notify_epoch(w.starts_at),
		'ends_at', notify_epoch(w.ends_at), 'reason', w.reason,
		'device', d.name, 'region', d.region, 'site', d.site)
		FROM maintenance_windows w
		LEFT JOIN devices d ON d.id = w.device_id
		WHERE w.id = n.window_id));
$$;

-- Up to p_limit due notices for one sender, moved to 'sending'. Every
-- step skips rows another session holds, so senders (and a sender and
-- notify_result) never wait for each other.
--   1. queued or held past valid_until: expired, never sent late;
--   2. held whose time has come, or all held when it is not quiet now
--      (the quiet hours were changed or switched off): queued again;
--   3. quiet now: due queued rows are held until the quiet hours end;
--   4. otherwise the due queued rows in priority order are claimed.
CREATE FUNCTION notify_claim(p_instance text, p_limit integer)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v	notify_settings := notify_settings();
	v_local	timestamp := now() AT TIME ZONE v.tz;
	v_quiet	boolean := notify_quiet(v_local::time, v.quiet_start,
	    v.quiet_end);
	v_end	timestamptz;
	v_out	jsonb;
BEGIN
	UPDATE notifications SET state = 'expired', reason = 'validity passed'
	WHERE id = ANY (ARRAY(SELECT id FROM notifications
	    WHERE state IN ('queued', 'held') AND valid_until <= now()
	    FOR UPDATE SKIP LOCKED));

	UPDATE notifications SET state = 'queued',
	    next_attempt_at = least(next_attempt_at, now())
	WHERE id = ANY (ARRAY(SELECT id FROM notifications
	    WHERE state = 'held' AND (next_attempt_at <= now() OR NOT v_quiet)
	    FOR UPDATE SKIP LOCKED));

	IF v_quiet THEN
		v_end := (v_local::date + CASE WHEN v_local::time < v.quiet_end
		    THEN 0 ELSE 1 END + v.quiet_end) AT TIME ZONE v.tz;
		UPDATE notifications SET state = 'held', next_attempt_at = v_end,
		    reason = 'quiet hours'
		WHERE id = ANY (ARRAY(SELECT id FROM notifications
		    WHERE state = 'queued' AND next_attempt_at <= now()
		    FOR UPDATE SKIP LOCKED));
		RETURN '[]';
	END IF;

	-- The ids first, as an array (an InitPlan): each row is then found
	-- by its key, whatever the planner believes of the queue's size (a
	-- join planned on an empty outbox's statistics turned a 100,000-row
	-- claim into minutes).
	WITH u AS (
		UPDATE notifications n SET state = 'sending',
		    claimed_by = p_instance, claimed_at = now(),
		    attempts = n.attempts + 1,
		    dlr_token = coalesce(n.dlr_token,
			replace(gen_random_uuid()::text, '-', ''))
		WHERE n.id = ANY (ARRAY(SELECT id FROM notifications
		    WHERE state = 'queued' AND next_attempt_at <= now() AND
			(valid_until IS NULL OR valid_until > now())
		    ORDER BY priority, next_attempt_at, id
		    LIMIT greatest(p_limit, 0)
		    FOR UPDATE SKIP LOCKED))
		RETURNING n.*
	),
	-- Each incident's part once per claim, not once per message (a
	-- claim is mostly one incident's notices).
	inc AS (
		SELECT i.id, jsonb_build_object('cause', i.cause,
		    'title', i.title, 'scope', i.scope,
		    'opened_at', notify_epoch(i.opened_at),
		    'eta', notify_epoch(i.estimated_restore_at),
		    'region', d.region, 'site', d.site, 'device', d.name,
		    'ticket_id', (SELECT t.id FROM tickets t
			WHERE t.incident_id = i.id AND t.kind = 'outage')) AS j
		FROM incidents i LEFT JOIN devices d ON d.id = i.device_id
		WHERE i.id IN (SELECT incident_id FROM u)
	)
	SELECT coalesce(jsonb_agg(jsonb_build_object('id', u.id,
	    'kind', u.kind, 'phone', u.phone, 'language', u.language,
	    'attempts', u.attempts, 'dlr_token', u.dlr_token,
	    'subscriber_id', u.subscriber_id, 'account', s.account,
	    'incident_id', u.incident_id, 'incident', inc.j,
	    'window', CASE WHEN u.window_id IS NOT NULL THEN
		notify_json(u::notifications)->'window' END)
	    ORDER BY u.priority, u.next_attempt_at, u.id), '[]')
	INTO v_out
	FROM u LEFT JOIN subscribers s ON s.id = u.subscriber_id
	LEFT JOIN inc ON inc.id = u.incident_id;
	RETURN v_out;
END;
$$;

-- What the gateway said about one claimed notice. Acts on a row in
-- 'sending' only, so a late or repeated answer changes nothing, with one
-- exception: a 'sent' whose delivery report overtook it (the row is sent,
-- delivered or failed already) still records gateway, reference, body
-- and segments, which only this answer carries.
CREATE FUNCTION notify_result(p_id bigint, p_outcome text, p_gateway text,
    p_ref text, p_error text, p_retry_seconds double precision, p_body text,
    p_segments integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF p_outcome IS NULL OR
	    p_outcome NOT IN ('sent', 'retry', 'dead', 'unknown') THEN
		RAISE EXCEPTION 'notify_result: unknown outcome %',
		    coalesce(p_outcome, '(null)')
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF p_outcome = 'sent' THEN
		UPDATE notifications SET state = 'sent',
		    sent_at = coalesce(sent_at, now()), gateway = p_gateway,
		    gateway_ref = p_ref, body = p_body, segments = p_segments,
		    last_error = NULL
		WHERE id = p_id AND state = 'sending';
		IF FOUND THEN
			PERFORM notify_restore_late(p_id);
		ELSE
			UPDATE notifications SET
			    gateway = coalesce(gateway, p_gateway),
			    gateway_ref = coalesce(gateway_ref, p_ref),
			    body = coalesce(body, p_body),
			    segments = coalesce(segments, p_segments)
			WHERE id = p_id AND
			    state IN ('sent', 'delivered', 'failed');
		END IF;
	ELSIF p_outcome = 'retry' THEN
		UPDATE notifications SET state = 'queued',
		    next_attempt_at = now() + greatest(coalesce(p_retry_seconds,
			0), 0) * interval '1 second',
		    gateway = coalesce(p_gateway, gateway), last_error = p_error
		WHERE id = p_id AND state = 'sending';
	ELSIF p_outcome = 'dead' THEN
		UPDATE notifications SET state = 'dead',
		    reason = 'gave up after ' || attempts || ' attempt' ||
			CASE WHEN attempts = 1 THEN '' ELSE 's' END,
		    gateway = coalesce(p_gateway, gateway), last_error = p_error
		WHERE id = p_id AND state = 'sending';
	ELSE
		UPDATE notifications SET gateway = coalesce(p_gateway, gateway),
		    last_error = p_error
		WHERE id = p_id AND state = 'sending';
	END IF;
END;
$$;

-- Many results in one round trip (heraldd gathers them for up to 50 ms):
-- [{"id", "outcome", "gateway", "error", "retry", "body", "segments"}].
-- Each is notify_result(), so a batch sent again changes nothing.
CREATE FUNCTION notify_results(p jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	n	integer := 0;
BEGIN
	FOR r IN SELECT value FROM jsonb_array_elements(p) ORDER BY
	    (value->>'id')::bigint LOOP
		PERFORM notify_result((r->>'id')::bigint, r->>'outcome',
		    r->>'gateway', NULL, r->>'error',
		    (r->>'retry')::double precision, r->>'body',
		    (r->>'segments')::integer);
		n := n + 1;
	END LOOP;
	RETURN n;
END;
$$;

-- Notices left in 'sending' longer than the grace go back to the queue.
-- Kannel is asked with dlr-mask including 8 (SMSC submit): a message the
-- gateway accepted gets that report within seconds, and notify_dlr moves
-- it out of 'sending'. One still there after the grace was never
-- accepted (the sender died before or during the request, or the answer
-- was lost and no report came), so sending it again cannot make a second
-- text. A report that comes later still finds the row by its token (kept
-- across attempts) and marks it sent or delivered, and the next claim
-- skips it. p_grace_seconds NULL: notify_settings.grace.
CREATE FUNCTION notify_recover(p_grace_seconds double precision)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_grace	interval := coalesce(p_grace_seconds * interval '1 second',
	    (notify_settings()).grace);
	n	integer;
BEGIN
	UPDATE notifications SET state = 'queued', next_attempt_at = now(),
	    reason = 'no gateway acknowledgement'
	WHERE id = ANY (ARRAY(SELECT id FROM notifications
	    WHERE state = 'sending' AND claimed_at < now() - v_grace
	    FOR UPDATE SKIP LOCKED));
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END;
$$;

-- A state's place in the life of a message: a report never moves one
-- back (a late submit report after the delivery report changes nothing).
CREATE FUNCTION notify_rank(state text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE state WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2
	    WHEN 'failed' THEN 2 WHEN 'suppressed' THEN 3 ELSE 0 END;
$$;

-- A Kannel delivery report: 1 delivered, 2 failed, 4 buffered, 8 submitted
-- to the SMSC, 16 rejected by the SMSC. Any report proves the gateway had
-- the message, so it applies also to a row that notify_recover put back
-- (queued) or that expired or was given up meanwhile. NULL for an
-- unknown token.
CREATE FUNCTION notify_dlr(p_token text, p_type integer, p_text text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_to	text := CASE p_type WHEN 1 THEN 'delivered' WHEN 2 THEN 'failed'
	    WHEN 16 THEN 'failed' WHEN 8 THEN 'sent' END;
	v_n	notifications;
BEGIN
	SELECT * INTO v_n FROM notifications WHERE dlr_token = p_token
	FOR UPDATE;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	IF v_to IS NOT NULL AND notify_rank(v_to) > notify_rank(v_n.state) THEN
		UPDATE notifications SET state = v_to,
		    sent_at = coalesce(sent_at, now()),
		    delivered_at = CASE WHEN v_to = 'delivered' THEN now()
			ELSE delivered_at END,
		    last_error = CASE WHEN v_to = 'failed' THEN p_text
			ELSE last_error END
		WHERE id = v_n.id
		RETURNING * INTO v_n;
		PERFORM notify_restore_late(v_n.id);
	END IF;
	RETURN jsonb_build_object('id', v_n.id,
	    'subscriber_id', v_n.subscriber_id, 'incident_id', v_n.incident_id,
	    'kind', v_n.kind, 'state', v_n.state);
END;
$$;

-- Many reports in one round trip (heraldd gathers them for up to 20 ms):
-- [{"token", "type", "text"}] -> the same array's answers, each what
-- notify_dlr() says (NULL for an unknown token). The rows are taken in
-- id order, as notify_results() takes them, so two batches never wait
-- for each other in a circle.
CREATE FUNCTION notify_dlrs(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	r	record;
	v_out	jsonb[] := array_fill(NULL::jsonb,
	    ARRAY[jsonb_array_length(p)]);
BEGIN
	FOR r IN SELECT e.value AS v, e.ordinality AS i
	    FROM jsonb_array_elements(p) WITH ORDINALITY e
	    LEFT JOIN notifications n ON n.dlr_token = e.value->>'token'
	    ORDER BY n.id NULLS LAST, e.ordinality LOOP
		v_out[r.i] := notify_dlr(r.v->>'token', (r.v->>'type')::integer,
		    r.v->>'text');
	END LOOP;
	RETURN to_jsonb(v_out);
END;
$$;

-- What customer service sees for a caller: the last ten notices.
CREATE FUNCTION notify_subscriber(p_subscriber bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object('kind', x.kind,
	    'state', x.state, 'incident_id', x.incident_id,
	    'created_at', x.created_at, 'sent_at', x.sent_at,
	    'delivered_at', x.delivered_at) ORDER BY x.created_at DESC, x.id DESC),
	    '[]')
	FROM (SELECT * FROM notifications WHERE subscriber_id = p_subscriber
	    ORDER BY created_at DESC, id DESC LIMIT 10) x;
$$;

-- Counts by state of an incident's notices, for the API.
CREATE FUNCTION notify_counts(p_incident bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_object_agg(state, n), '{}')
	FROM (SELECT state, count(*) AS n FROM notifications
	    WHERE incident_id = p_incident GROUP BY state) x;
$$;

-- The API shows them ------------------------------------------------------

-- 060's incident object plus "notifications": counts by state.
CREATE OR REPLACE FUNCTION api_incident_json(inc incidents) RETURNS jsonb
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
		ORDER BY t.kind = 'outage' DESC, t.id LIMIT 1),
	    'notifications', notify_counts(inc.id));
$$;

-- 060's ticket object; an outage ticket also shows its incident's counts
-- (other kinds keep 060's keys: they send no notices).
CREATE OR REPLACE FUNCTION api_ticket_json(tk tickets) RETURNS jsonb
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
		FROM tickets_overdue o WHERE o.id = tk.id), '[]')) ||
	    CASE WHEN tk.kind = 'outage' AND tk.incident_id IS NOT NULL THEN
		jsonb_build_object('notifications',
		    notify_counts(tk.incident_id))
	    ELSE '{}' END;
$$;

-- Complaints: pre_notified reads the outbox ------------------------------

-- 050's function with one change: told before calling means an outage
-- notice the gateway accepted (sent, or delivered) before the complaint,
-- for the linked incident or one merged into it (the subscriber was told
-- of the port outage that became part of the board's). Queued, held or
-- sending is not told yet; failed means the text never arrived.
CREATE OR REPLACE FUNCTION complaint_register() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.subscriber_id IS NULL AND NEW.account IS NOT NULL THEN
		SELECT id INTO NEW.subscriber_id FROM subscribers
		WHERE account = NEW.account;
	END IF;
	IF NEW.subscriber_id IS NULL AND NEW.caller_phone IS NOT NULL AND
	    NEW.account IS NULL THEN
		-- By phone only when it names a single account.
		SELECT min(id) INTO NEW.subscriber_id FROM subscribers
		WHERE phones @> ARRAY[NEW.caller_phone]
		HAVING count(*) = 1;
	END IF;
	IF NEW.subscriber_id IS NOT NULL AND NEW.account IS NULL THEN
		SELECT account INTO NEW.account FROM subscribers
		WHERE id = NEW.subscriber_id;
	END IF;

	IF NEW.subscriber_id IS NOT NULL THEN
		IF NEW.incident_id IS NULL THEN
			SELECT i.id INTO NEW.incident_id
			FROM incident_accounts a JOIN incidents i
			    ON i.id = a.incident_id
			WHERE a.subscriber_id = NEW.subscriber_id AND
			    i.state IN ('suspected', 'confirmed') AND
			    NOT i.individual
			ORDER BY i.state = 'confirmed' DESC, i.opened_at DESC,
			    i.id DESC
			LIMIT 1;
		END IF;
		NEW.is_repeat := NEW.is_repeat OR EXISTS (SELECT 1
		    FROM complaints c WHERE c.subscriber_id = NEW.subscriber_id
		    AND c.received_at <= NEW.received_at
		    AND c.received_at > NEW.received_at - interval '30 days');
		NEW.pre_notified := NEW.pre_notified OR
		    (NEW.incident_id IS NOT NULL AND EXISTS (SELECT 1
		    FROM notifications n WHERE n.incident_id IN
			(SELECT notify_family(NEW.incident_id))
		    AND n.subscriber_id = NEW.subscriber_id AND
		    n.kind = 'outage' AND n.state IN ('sent', 'delivered') AND
		    n.sent_at <= NEW.received_at));
	END IF;
	IF NEW.channel IN ('12345', '12315', 'miit') THEN
		NEW.priority := 1;
	END IF;
	RETURN NEW;
END;
$$;
