-- 093_notify_batch: notify_results() and notify_dlrs() set-based; the
-- claim planned per call (below).
--
-- 070's versions looped in plpgsql over the batch heraldd gathers (up to
-- 500 results, or a gateway's delivery reports for 20 ms), calling
-- notify_result() or notify_dlr() once per element: three to five
-- statements a message, and notify_restore_late() on every one. Draining
-- an outage at the gateway's speed, that was most of PostgreSQL's work.
-- These take the batch as a set: the rows are locked in id order (as
-- before: two batches, or a batch and notify_restore(), never wait for
-- each other in a circle), one UPDATE applies the batch, one INSERT writes
-- the restored notices of those told after their incident ended.
--
-- The per-row functions stay as they were (the tests and tools call
-- them); these do what a loop over them did, element for element, also
-- when one batch holds several elements for one message: they are folded
-- in array order, as the loop applied them one after the other.

-- notify_restore_late() for many messages at once: each must have just
-- become sent or delivered (the caller knows; its final state may be
-- failed if a later report in the same batch said so, and the loop would
-- still have written the restored notice in between). Rows in id order, so
-- of two notices of one subscriber the first one's phone is used, as in
-- the loop.
CREATE FUNCTION notify_restore_late_batch(p_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF coalesce(cardinality(p_ids), 0) = 0 THEN
		RETURN;
	END IF;
	INSERT INTO notifications (subscriber_id, incident_id, kind, phone,
	    language, state, reason, priority, valid_until)
	SELECT o.subscriber_id, r.root, 'restored', o.phone, o.language,
	    CASE WHEN s.sms_opt_out THEN 'suppressed' ELSE 'queued' END,
	    CASE WHEN s.sms_opt_out THEN 'opted out' END, 1,
	    now() + (notify_settings()).validity
	-- OFFSET 0: the merge chain is walked only for notices whose own
	-- incident has ended (nearly always it is still open).
	FROM (SELECT n.id, n.subscriber_id, n.incident_id, n.phone,
		n.language
	    FROM notifications n JOIN incidents i ON i.id = n.incident_id
	    WHERE n.id = ANY (p_ids) AND n.kind = 'outage' AND
		n.subscriber_id IS NOT NULL AND
		NOT (i.state IN ('suspected', 'confirmed'))
	    OFFSET 0) o
	CROSS JOIN LATERAL (SELECT notify_root(o.incident_id) AS root) r
	JOIN incidents ri ON ri.id = r.root AND
	    ri.state IN ('resolved', 'transient')
	JOIN subscribers s ON s.id = o.subscriber_id
	ORDER BY o.id
	ON CONFLICT DO NOTHING;
END;
$$;

-- [{"id", "outcome", "gateway", "error", "retry", "body", "segments"}]:
-- what notify_result() did for each, in id order (then array order), so a
-- batch sent again changes nothing. For one message, in order:
--   * 'unknown' while it is sending records gateway and error only;
--   * the first 'sent', 'retry' or 'dead' while it is sending ends
--     'sending' (sent; queued with its back-off; dead) and the rest of
--     its results find it no longer sending;
--   * a 'sent' that finds it sent, delivered or failed (its delivery
--     report came first, or a repeated result) fills in what is still
--     missing of gateway, body and segments; the others change nothing.
-- Returns the number of elements.
CREATE OR REPLACE FUNCTION notify_results(p jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_n	integer;
	v_bad	text;
	v_sending bigint[];
	v_told	bigint[];
BEGIN
	SELECT count(*), (array_agg(coalesce(x.outcome, '(null)')
		ORDER BY x.id, x.ord) FILTER (WHERE x.outcome IS NULL OR
		x.outcome NOT IN ('sent', 'retry', 'dead', 'unknown')))[1]
	INTO v_n, v_bad
	FROM ROWS FROM (jsonb_to_recordset(p) AS (id bigint, outcome text))
	    WITH ORDINALITY x(id, outcome, ord);
	IF v_bad IS NOT NULL THEN
		RAISE EXCEPTION 'notify_result: unknown outcome %', v_bad
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF v_n = 0 THEN
		RETURN 0;
	END IF;

	-- Locked in id order first (the UPDATE below would take them in
	-- whatever order its plan reads them); those in 'sending' now are
	-- the ones a 'sent' can tell (notify_restore_late_batch).
	SELECT array_agg(l.id) FILTER (WHERE l.state = 'sending')
	INTO v_sending
	FROM (SELECT id, state FROM notifications
	    WHERE id = ANY (ARRAY(SELECT x.id
		FROM jsonb_to_recordset(p) AS x(id bigint)))
	    ORDER BY id FOR UPDATE) l;

	-- EXECUTE: planned at each call, see notify_claim below.
	EXECUTE $sql$
	WITH r AS (
		SELECT x.*, min(x.ord) FILTER (WHERE x.outcome IN ('sent',
		    'retry', 'dead')) OVER (PARTITION BY x.id) AS k
		FROM ROWS FROM (jsonb_to_recordset($1) AS (id bigint,
		    outcome text, gateway text, error text,
		    retry double precision, body text, segments integer))
		    WITH ORDINALITY x(id, outcome, gateway, error, retry, body,
			segments, ord)
		WHERE x.id IS NOT NULL
	),
	-- Per message: the result that ends 'sending' (t_*), the unknowns
	-- before it (u_*), the sents after it (a_*), and every sent (s_*)
	-- for a message that is sent, delivered or failed already.
	f AS (
		SELECT r.id,
		    max(r.outcome) FILTER (WHERE r.ord = r.k) AS t_outcome,
		    max(r.gateway) FILTER (WHERE r.ord = r.k) AS t_gateway,
		    max(r.error) FILTER (WHERE r.ord = r.k) AS t_error,
		    max(r.retry) FILTER (WHERE r.ord = r.k) AS t_retry,
		    max(r.body) FILTER (WHERE r.ord = r.k) AS t_body,
		    max(r.segments) FILTER (WHERE r.ord = r.k) AS t_segments,
		    bool_or(r.outcome = 'unknown' AND
			(r.k IS NULL OR r.ord < r.k)) AS u_any,
		    (array_agg(r.gateway ORDER BY r.ord DESC) FILTER (WHERE
			r.outcome = 'unknown' AND (r.k IS NULL OR r.ord < r.k)
			AND r.gateway IS NOT NULL))[1] AS u_gateway,
		    (array_agg(r.error ORDER BY r.ord DESC) FILTER (WHERE
			r.outcome = 'unknown' AND
			(r.k IS NULL OR r.ord < r.k)))[1] AS u_error,
		    (array_agg(r.gateway ORDER BY r.ord) FILTER (WHERE
			r.outcome = 'sent' AND r.ord > r.k AND
			r.gateway IS NOT NULL))[1] AS a_gateway,
		    (array_agg(r.body ORDER BY r.ord) FILTER (WHERE
			r.outcome = 'sent' AND r.ord > r.k AND
			r.body IS NOT NULL))[1] AS a_body,
		    (array_agg(r.segments ORDER BY r.ord) FILTER (WHERE
			r.outcome = 'sent' AND r.ord > r.k AND
			r.segments IS NOT NULL))[1] AS a_segments,
		    bool_or(r.outcome = 'sent') AS s_any,
		    (array_agg(r.gateway ORDER BY r.ord) FILTER (WHERE
			r.outcome = 'sent' AND
			r.gateway IS NOT NULL))[1] AS s_gateway,
		    (array_agg(r.body ORDER BY r.ord) FILTER (WHERE
			r.outcome = 'sent' AND r.body IS NOT NULL))[1] AS s_body,
		    (array_agg(r.segments ORDER BY r.ord) FILTER (WHERE
			r.outcome = 'sent' AND
			r.segments IS NOT NULL))[1] AS s_segments
		FROM r GROUP BY r.id
	),
	u AS (
		UPDATE notifications n SET
		    state = CASE WHEN n.state <> 'sending' THEN n.state
			WHEN f.t_outcome = 'sent' THEN 'sent'
			WHEN f.t_outcome = 'retry' THEN 'queued'
			WHEN f.t_outcome = 'dead' THEN 'dead'
			ELSE n.state END,
		    sent_at = CASE WHEN n.state = 'sending' AND
			f.t_outcome = 'sent' THEN coalesce(n.sent_at, now())
			ELSE n.sent_at END,
		    next_attempt_at = CASE WHEN n.state = 'sending' AND
			f.t_outcome = 'retry' THEN now() +
			greatest(coalesce(f.t_retry, 0), 0) * interval '1 second'
			ELSE n.next_attempt_at END,
		    reason = CASE WHEN n.state = 'sending' AND
			f.t_outcome = 'dead' THEN 'gave up after ' ||
			n.attempts || ' attempt' ||
			CASE WHEN n.attempts = 1 THEN '' ELSE 's' END
			ELSE n.reason END,
		    gateway = CASE WHEN n.state = 'sending' THEN
			CASE WHEN f.t_outcome = 'sent' THEN
			    coalesce(f.t_gateway, f.a_gateway)
			ELSE coalesce(f.t_gateway, f.u_gateway, n.gateway) END
			ELSE coalesce(n.gateway, f.s_gateway) END,
		    gateway_ref = CASE WHEN n.state = 'sending' AND
			f.t_outcome = 'sent' THEN NULL ELSE n.gateway_ref END,
		    body = CASE WHEN n.state = 'sending' THEN
			CASE WHEN f.t_outcome = 'sent' THEN
			    coalesce(f.t_body, f.a_body) ELSE n.body END
			ELSE coalesce(n.body, f.s_body) END,
		    segments = CASE WHEN n.state = 'sending' THEN
			CASE WHEN f.t_outcome = 'sent' THEN
			    coalesce(f.t_segments, f.a_segments)
			ELSE n.segments END
			ELSE coalesce(n.segments, f.s_segments) END,
		    last_error = CASE WHEN n.state <> 'sending' THEN n.last_error
			WHEN f.t_outcome = 'sent' THEN NULL
			WHEN f.t_outcome IS NOT NULL THEN f.t_error
			WHEN f.u_any THEN f.u_error
			ELSE n.last_error END
		FROM f
		WHERE n.id = f.id AND (n.state = 'sending' OR
		    (n.state IN ('sent', 'delivered', 'failed') AND f.s_any))
		RETURNING n.id, f.t_outcome
	)
	SELECT array_agg(u.id ORDER BY u.id) FILTER (WHERE
	    u.t_outcome = 'sent' AND u.id = ANY ($2))
	FROM u
	$sql$ INTO v_told USING p, v_sending;

	PERFORM notify_restore_late_batch(v_told);
	RETURN v_n;
END;
$$;

-- [{"token", "type", "text"}] -> the same array's answers, each what
-- notify_dlr() said (NULL for an unknown token). A report moves its
-- message forward only (notify_rank); several reports for one message in
-- one batch (the submit report and the delivery report, 20 ms apart, are
-- often in the same one) are applied in array order, each answer being
-- the state after it, as the loop over notify_dlr() did.
CREATE OR REPLACE FUNCTION notify_dlrs(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_out	jsonb;
	v_told	bigint[];
BEGIN
	IF coalesce(jsonb_array_length(p), 0) = 0 THEN
		RETURN '[]';
	END IF;

	-- Locked in id order, as notify_results() takes them.
	PERFORM 1 FROM notifications
	WHERE dlr_token = ANY (ARRAY(SELECT x.token
	    FROM jsonb_to_recordset(p) AS x(token text)))
	ORDER BY id FOR UPDATE;

	-- EXECUTE: planned at each call, see notify_claim below.
	EXECUTE $sql$
	WITH r AS (
		SELECT x.ord, x.text, n.id, n.subscriber_id, n.incident_id,
		    n.kind, n.state AS s0,
		    CASE x.type WHEN 1 THEN 'delivered' WHEN 2 THEN 'failed'
			WHEN 16 THEN 'failed' WHEN 8 THEN 'sent' END AS t
		FROM ROWS FROM (jsonb_to_recordset($1) AS (token text,
		    type integer, text text))
		    WITH ORDINALITY x(token, type, text, ord)
		-- OFFSET 0: one index probe per report, never a hash of the
		-- whole outbox (jsonb_to_recordset is always guessed at 100).
		LEFT JOIN LATERAL (SELECT * FROM notifications n
		    WHERE n.dlr_token = x.token OFFSET 0) n ON true
	),
	-- Applied: a report that ranks above the state the reports before
	-- it (in the array) left.
	a AS (
		SELECT r.*, r.t IS NOT NULL AND notify_rank(r.t) >
		    greatest(notify_rank(r.s0), coalesce(max(notify_rank(r.t))
			OVER (PARTITION BY r.id ORDER BY r.ord ROWS BETWEEN
			UNBOUNDED PRECEDING AND 1 PRECEDING), 0)) AS applied
		FROM r
	),
	-- The state after each report: the last one applied so far.
	s AS (
		SELECT a.*, coalesce((array_agg(a.t) FILTER (WHERE a.applied)
		    OVER (PARTITION BY a.id ORDER BY a.ord)), '{}') AS done
		FROM a
	),
	f AS (
		SELECT s.id,
		    (array_agg(s.t ORDER BY s.ord DESC)
			FILTER (WHERE s.applied))[1] AS state,
		    bool_or(s.applied AND s.t = 'delivered') AS delivered,
		    bool_or(s.applied AND s.t = 'failed') AS failed,
		    (array_agg(s.text) FILTER (WHERE s.applied AND
			s.t = 'failed'))[1] AS error,
		    bool_or(s.applied AND s.t IN ('sent', 'delivered')) AS told
		FROM s WHERE s.id IS NOT NULL
		GROUP BY s.id HAVING bool_or(s.applied)
	),
	u AS (
		UPDATE notifications n SET state = f.state,
		    sent_at = coalesce(n.sent_at, now()),
		    delivered_at = CASE WHEN f.delivered THEN now()
			ELSE n.delivered_at END,
		    last_error = CASE WHEN f.failed THEN f.error
			ELSE n.last_error END
		FROM f WHERE n.id = f.id
		RETURNING n.id
	)
	SELECT coalesce(jsonb_agg(CASE WHEN s.id IS NOT NULL THEN
		jsonb_build_object('id', s.id, 'subscriber_id', s.subscriber_id,
		'incident_id', s.incident_id, 'kind', s.kind,
		'state', coalesce(s.done[cardinality(s.done)], s.s0)) END
		ORDER BY s.ord), '[]'),
	    (SELECT array_agg(f.id ORDER BY f.id) FILTER (WHERE f.told)
		FROM f)
	FROM s
	$sql$ INTO v_out, v_told USING p;

	PERFORM notify_restore_late_batch(v_told);
	RETURN v_out;
END;
$$;

-- 070's notify_claim() with one change: the statements that search the
-- outbox (expired, held, due rows) are planned at each call (EXECUTE), not
-- by plans cached for the session. heraldd's notify connection claims
-- every 100 ms from start-up, so its cached plans were made while the
-- outbox was empty, and they stayed: the due rows were found by a bitmap
-- scan of every queued row and a sort, 8-12 ms a claim at 20,000 queued,
-- where a fresh plan walks notifications_claim to the LIMIT in under a
-- millisecond. Planning costs about 0.2 ms. The due ids are locked (FOR
-- UPDATE SKIP LOCKED) by one statement and updated by the next, in the
-- same transaction: what is claimed and returned is unchanged. (The same
-- holds for notify_results and notify_dlrs above, whose first batch comes
-- right after a storm is queued, on statistics of an empty outbox.)
CREATE OR REPLACE FUNCTION notify_claim(p_instance text, p_limit integer)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v	notify_settings := notify_settings();
	v_local	timestamp := now() AT TIME ZONE v.tz;
	v_quiet	boolean := notify_quiet(v_local::time, v.quiet_start,
	    v.quiet_end);
	v_end	timestamptz;
	v_ids	bigint[];
	v_out	jsonb;
BEGIN
	EXECUTE $sql$
	UPDATE notifications SET state = 'expired', reason = 'validity passed'
	WHERE id = ANY (ARRAY(SELECT id FROM notifications
	    WHERE state IN ('queued', 'held') AND valid_until <= now()
	    FOR UPDATE SKIP LOCKED))
	$sql$;

	EXECUTE $sql$
	UPDATE notifications SET state = 'queued',
	    next_attempt_at = least(next_attempt_at, now())
	WHERE id = ANY (ARRAY(SELECT id FROM notifications
	    WHERE state = 'held' AND (next_attempt_at <= now() OR NOT $1)
	    FOR UPDATE SKIP LOCKED))
	$sql$ USING v_quiet;

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

	EXECUTE 'SELECT ARRAY(SELECT id FROM notifications
	    WHERE state = ''queued'' AND next_attempt_at <= now() AND
		(valid_until IS NULL OR valid_until > now())
	    ORDER BY priority, next_attempt_at, id
	    LIMIT greatest($1, 0)
	    FOR UPDATE SKIP LOCKED)'
	INTO v_ids USING p_limit;
	IF cardinality(v_ids) = 0 THEN
		RETURN '[]';
	END IF;

	WITH u AS (
		UPDATE notifications n SET state = 'sending',
		    claimed_by = p_instance, claimed_at = now(),
		    attempts = n.attempts + 1,
		    dlr_token = coalesce(n.dlr_token,
			replace(gen_random_uuid()::text, '-', ''))
		WHERE n.id = ANY (v_ids)
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
