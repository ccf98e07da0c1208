-- 050_tickets: the ticket workflow in SQL (issue 10, "Workflow in SQL").
--
--   * states plus 'cancelled'; which role may make which transition, for
--     which kind of ticket, is a row of ticket_transitions, and the trigger
--     refuses anything else, whoever the client (heraldd, heraldctl, psql);
--   * every change is written to ticket_history with actor, role and note;
--   * outage and repair tickets follow their incident;
--   * a working-day calendar and the SLA deadlines;
--   * complaints link themselves to the open incident of their account,
--     are flagged repeat / escalated, and open their own ticket.
--
-- The client says who it is per session or transaction:
--	SET herald.role = 'noc';	-- noc, cs, admin, herald (heraldd)
--	SET herald.actor = 'zhang.wei';	-- who, for the history
--	SET LOCAL herald.note = '...';	-- why, for the history
-- A state change without a role is refused. (These are settings any
-- session may set: the role check stops mistakes and skipped steps, not a
-- hostile database user; database grants are the place for that.)

-- Roles and transitions ---------------------------------------------------

CREATE FUNCTION herald_setting(name text) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT nullif(current_setting(name, true), '');
$$;

ALTER TABLE tickets DROP CONSTRAINT tickets_state_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_state_check CHECK (state IN
	('new', 'acknowledged', 'dispatched', 'in_progress', 'resolved',
	'closed', 'reopened', 'cancelled'));

-- The 001 rows are the steps; now each is allowed per kind and role.
ALTER TABLE ticket_transitions
	ADD COLUMN kind	text,
	ADD COLUMN role	text;
CREATE TEMP TABLE ticket_steps ON COMMIT DROP AS
	SELECT from_state, to_state FROM ticket_transitions;
INSERT INTO ticket_steps VALUES
	('new', 'cancelled'), ('acknowledged', 'cancelled'),
	('dispatched', 'cancelled'), ('in_progress', 'cancelled'),
	('reopened', 'cancelled');
DELETE FROM ticket_transitions;
ALTER TABLE ticket_transitions DROP CONSTRAINT ticket_transitions_pkey;
ALTER TABLE ticket_transitions
	ALTER COLUMN kind SET NOT NULL,
	ALTER COLUMN role SET NOT NULL,
	ADD CONSTRAINT ticket_transitions_kind_check CHECK (kind IN
	    ('outage', 'complaint', 'repair')),
	ADD CONSTRAINT ticket_transitions_role_check CHECK (role IN
	    ('noc', 'cs', 'admin', 'herald')),
	ADD PRIMARY KEY (kind, role, from_state, to_state);
COMMENT ON TABLE ticket_transitions IS
	'the allowed state changes: a ticket of KIND may go FROM -> TO when the session''s herald.role is ROLE';

-- The NOC works outage and repair tickets, customer service complaints;
-- admin may do every step and undo a cancel.
INSERT INTO ticket_transitions (kind, role, from_state, to_state)
SELECT k, 'noc', from_state, to_state FROM ticket_steps,
    unnest(ARRAY['outage', 'repair']) k
UNION ALL
SELECT 'complaint', 'cs', from_state, to_state FROM ticket_steps
UNION ALL
SELECT k, 'admin', from_state, to_state FROM ticket_steps,
    unnest(ARRAY['outage', 'repair', 'complaint']) k
UNION ALL
SELECT k, 'admin', 'cancelled', 'reopened'
    FROM unnest(ARRAY['outage', 'repair', 'complaint']) k;
-- heraldd: resolves a ticket when its incident resolves (and the
-- complaints under an outage ticket with it), cancels one whose incident
-- was merged into another. It never acknowledges, closes or reopens.
INSERT INTO ticket_transitions (kind, role, from_state, to_state)
SELECT k, 'herald', s.f, s.t
FROM unnest(ARRAY['outage', 'repair', 'complaint']) k,
    (VALUES ('new', 'resolved'), ('acknowledged', 'resolved'),
	('dispatched', 'resolved'), ('in_progress', 'resolved'),
	('reopened', 'resolved')) s(f, t)
UNION ALL
SELECT k, 'herald', f, 'cancelled'
FROM unnest(ARRAY['outage', 'repair']) k,
    unnest(ARRAY['new', 'acknowledged', 'dispatched', 'in_progress',
	'reopened']) f;

ALTER TABLE ticket_history ADD COLUMN role text;

-- Tickets: what the workflow, the incident and the SLA add ---------------

ALTER TABLE tickets
	ADD COLUMN parent_id	bigint REFERENCES tickets ON DELETE SET NULL,
	ADD COLUMN planned	boolean NOT NULL DEFAULT false,
	ADD COLUMN affected_accounts integer,
	ADD COLUMN eta		timestamptz,
	ADD COLUMN responded_at	timestamptz,
	ADD COLUMN replied_at	timestamptz,
	ADD COLUMN reply_due	timestamptz,
	ADD COLUMN investigation_due timestamptz,
	ADD CONSTRAINT tickets_parent_check CHECK (parent_id <> id);
CREATE INDEX tickets_parent ON tickets (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX tickets_incident ON tickets (incident_id)
	WHERE incident_id IS NOT NULL;
CREATE INDEX tickets_open ON tickets (state)
	WHERE state NOT IN ('resolved', 'closed', 'cancelled');
-- One automatic repair ticket per incident too.
CREATE UNIQUE INDEX tickets_one_repair_per_incident ON tickets (incident_id)
	WHERE kind = 'repair' AND incident_id IS NOT NULL;
COMMENT ON COLUMN tickets.responded_at IS
	'first left ''new'': meets first_response_due (repair) or acceptance (complaint)';
COMMENT ON COLUMN tickets.replied_at IS
	'when the complainant got a reply; set by customer service, meets reply_due';
COMMENT ON COLUMN tickets.resolve_due IS
	'repair/outage: the NOC''s target; complaint: the 7-working-day solution deadline';

-- The workflow: replaces 001's function (its triggers stay).
CREATE OR REPLACE FUNCTION ticket_workflow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_role	text := herald_setting('herald.role');
	v_actor	text := coalesce(herald_setting('herald.actor'), current_user);
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO ticket_history (ticket_id, from_state, to_state,
		    actor, note, role)
		VALUES (NEW.id, NULL, NEW.state, v_actor,
		    herald_setting('herald.note'), v_role);
		RETURN NEW;
	END IF;
	IF NEW.state IS DISTINCT FROM OLD.state THEN
		IF NOT EXISTS (SELECT 1 FROM ticket_transitions
		    WHERE kind = OLD.kind AND role = v_role AND
		    from_state = OLD.state AND to_state = NEW.state) THEN
			RAISE EXCEPTION
			    'ticket %: no transition from % to % for role % on a % ticket',
			    OLD.id, OLD.state, NEW.state,
			    coalesce(v_role, '(none: SET herald.role)'), OLD.kind
			    USING ERRCODE = 'check_violation';
		END IF;
		NEW.updated_at := now();
		IF OLD.state = 'new' AND NEW.responded_at IS NULL THEN
			NEW.responded_at := now();
		END IF;
		IF NEW.state = 'resolved' THEN
			NEW.resolved_at := now();
		ELSIF NEW.state = 'closed' THEN
			NEW.closed_at := now();
		ELSIF NEW.state = 'reopened' THEN
			NEW.resolved_at := NULL;
			NEW.closed_at := NULL;
		END IF;
		INSERT INTO ticket_history (ticket_id, from_state, to_state,
		    actor, note, role)
		VALUES (NEW.id, OLD.state, NEW.state, v_actor,
		    herald_setting('herald.note'), v_role);
	END IF;
	RETURN NEW;
END;
$$;

-- Working-day calendar ------------------------------------------------------

-- Only the exceptions are listed: a day not here is a working day from
-- Monday to Friday and a rest day on Saturday and Sunday.
CREATE TABLE calendar_days (
	day		date PRIMARY KEY,
	working		boolean NOT NULL,
	note		text
);
COMMENT ON TABLE calendar_days IS
	'public holidays (working = false) and make-up working days on weekends (working = true); other days follow the week';

-- 2026, after the State Council's notice on the 2026 holiday schedule
-- (国务院办公厅关于2026年部分节假日安排的通知). The domain notes do not
-- list the dates; these are written from that notice as best known and
-- should be checked against it (and each later year added) by the operator.
INSERT INTO calendar_days (day, working, note)
SELECT d::date, false, n FROM (VALUES
	('2026-01-01', '2026-01-03', '元旦 New Year'),
	('2026-02-15', '2026-02-23', '春节 Spring Festival'),
	('2026-04-04', '2026-04-06', '清明节 Qingming'),
	('2026-05-01', '2026-05-05', '劳动节 Labour Day'),
	('2026-06-19', '2026-06-21', '端午节 Dragon Boat Festival'),
	('2026-09-25', '2026-09-27', '中秋节 Mid-Autumn Festival'),
	('2026-10-01', '2026-10-07', '国庆节 National Day')) h(a, b, n),
    generate_series(a::date, b::date, '1 day') d;
INSERT INTO calendar_days (day, working, note) VALUES
	('2026-01-04', true, '元旦调休 make-up working day (Sunday)'),
	('2026-02-14', true, '春节调休 make-up working day (Saturday)'),
	('2026-02-28', true, '春节调休 make-up working day (Saturday)'),
	('2026-05-09', true, '劳动节调休 make-up working day (Saturday)'),
	('2026-09-20', true, '国庆节调休 make-up working day (Sunday)'),
	('2026-10-10', true, '国庆节调休 make-up working day (Saturday)');

-- The operator's local time: a working day is a day in Beijing time,
-- whatever the session's TimeZone.
CREATE FUNCTION herald_local_tz() RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT 'Asia/Shanghai'::text; $$;

CREATE FUNCTION is_working_day(d date) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT working FROM calendar_days WHERE day = d),
	    extract(isodow FROM d) < 6);
$$;

-- t plus n working days, at the same local time of day. A time on a rest
-- day counts from the start (00:00) of the next working day, so a
-- complaint on Saturday with 2 working days is due at the end of Tuesday
-- (Wednesday 00:00) when Monday and Tuesday are working days.
CREATE FUNCTION add_working_days(t timestamptz, n integer)
RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_local	timestamp := t AT TIME ZONE herald_local_tz();
	v_day	date := v_local::date;
	v_time	interval := v_local - v_local::date;
	v_left	integer := n;
BEGIN
	IF t IS NULL OR n IS NULL THEN
		RETURN NULL;
	END IF;
	IF n < 0 THEN
		RAISE EXCEPTION 'add_working_days: n must be >= 0, not %', n;
	END IF;
	IF NOT is_working_day(v_day) THEN
		v_time := interval '0';
		LOOP
			v_day := v_day + 1;
			EXIT WHEN is_working_day(v_day);
		END LOOP;
	END IF;
	WHILE v_left > 0 LOOP
		v_day := v_day + 1;
		IF is_working_day(v_day) THEN
			v_left := v_left - 1;
		END IF;
	END LOOP;
	RETURN (v_day + v_time) AT TIME ZONE herald_local_tz();
END;
$$;

-- Deadlines, set when a ticket is opened: a repair's first call within 30
-- minutes; a complaint accepted in 24 hours, replied to in 2 working days,
-- investigated in 5, solved in 7 (requirements.md, complaint rules).
-- A ticket always starts 'new'.
CREATE FUNCTION ticket_open() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.state <> 'new' THEN
		RAISE EXCEPTION 'a ticket is opened as new, not %', NEW.state
		    USING ERRCODE = 'check_violation';
	END IF;
	IF NEW.kind = 'repair' THEN
		NEW.first_response_due := coalesce(NEW.first_response_due,
		    NEW.opened_at + interval '30 minutes');
	ELSIF NEW.kind = 'complaint' THEN
		NEW.first_response_due := coalesce(NEW.first_response_due,
		    NEW.opened_at + interval '24 hours');
		NEW.reply_due := coalesce(NEW.reply_due,
		    add_working_days(NEW.opened_at, 2));
		NEW.investigation_due := coalesce(NEW.investigation_due,
		    add_working_days(NEW.opened_at, 5));
		NEW.resolve_due := coalesce(NEW.resolve_due,
		    add_working_days(NEW.opened_at, 7));
	END IF;
	RETURN NEW;
END;
$$;
CREATE TRIGGER tickets_open BEFORE INSERT ON tickets
	FOR EACH ROW EXECUTE FUNCTION ticket_open();

-- Investigation may be extended, to at most 15 working days.
CREATE FUNCTION ticket_deadlines() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.kind = 'complaint' AND NEW.investigation_due >
	    add_working_days(NEW.opened_at, 15) THEN
		RAISE EXCEPTION 'ticket %: investigation may take at most 15 working days (until %)',
		    NEW.id, add_working_days(NEW.opened_at, 15)
		    USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END;
$$;
CREATE TRIGGER tickets_deadlines BEFORE UPDATE OF investigation_due ON tickets
	FOR EACH ROW WHEN (NEW.investigation_due IS DISTINCT FROM
	    OLD.investigation_due)
	EXECUTE FUNCTION ticket_deadlines();

-- Each deadline that has passed without its milestone, one row per
-- ticket and deadline, for tickets still open.
CREATE VIEW tickets_overdue AS
SELECT t.id, t.kind, t.state, t.priority, t.assignee, t.title, d.deadline,
    d.due, now() - d.due AS overdue_by
FROM tickets t
CROSS JOIN LATERAL (VALUES
	(CASE t.kind WHEN 'complaint' THEN 'acceptance' ELSE 'first_response'
	    END, t.first_response_due, t.responded_at),
	('reply', t.reply_due, t.replied_at),
	('investigation', t.investigation_due, t.resolved_at),
	(CASE t.kind WHEN 'complaint' THEN 'solution' ELSE 'resolve' END,
	    t.resolve_due, t.resolved_at)) d(deadline, due, met)
WHERE t.state NOT IN ('resolved', 'closed', 'cancelled')
    AND d.due IS NOT NULL AND d.due < now() AND d.met IS NULL;

-- Outage and repair tickets follow their incident ----------------------------

-- One state change made by heraldd itself: role herald, actor herald, a
-- note; the caller's settings are put back afterwards.
CREATE FUNCTION ticket_move_as_herald(p_ticket bigint, p_to text,
    p_note text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	v_role	text := coalesce(current_setting('herald.role', true), '');
	v_actor	text := coalesce(current_setting('herald.actor', true), '');
	v_note	text := coalesce(current_setting('herald.note', true), '');
BEGIN
	PERFORM set_config('herald.role', 'herald', true);
	PERFORM set_config('herald.actor', 'herald', true);
	PERFORM set_config('herald.note', p_note, true);
	UPDATE tickets SET state = p_to WHERE id = p_ticket AND
	    state IS DISTINCT FROM p_to;
	PERFORM set_config('herald.role', v_role, true);
	PERFORM set_config('herald.actor', v_actor, true);
	PERFORM set_config('herald.note', v_note, true);
END;
$$;

-- Confirmed (and not merged or transient): one outage ticket, or a repair
-- ticket for an individual fault. Resolved: the ticket resolves, and one
-- that was never opened because the incident was stored already past
-- confirmed is opened first, so its history reads new -> resolved.
-- Merged or transient after its ticket opened: the ticket is cancelled.
CREATE FUNCTION incident_ticket() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_ticket	bigint;
	v_tstate	text;
	v_role		text := coalesce(current_setting('herald.role', true), '');
	v_actor		text := coalesce(current_setting('herald.actor', true), '');
	v_note		text := coalesce(current_setting('herald.note', true), '');
BEGIN
	SELECT id, state INTO v_ticket, v_tstate FROM tickets
	WHERE incident_id = NEW.id AND kind IN ('outage', 'repair')
	ORDER BY id LIMIT 1;

	IF v_ticket IS NULL AND NEW.confirmed_at IS NOT NULL AND
	    NEW.state IN ('confirmed', 'resolved') THEN
		-- Opened by heraldd: so the history says.
		PERFORM set_config('herald.role', 'herald', true);
		PERFORM set_config('herald.actor', 'herald', true);
		PERFORM set_config('herald.note', 'incident ' || NEW.id ||
		    ' confirmed', true);
		INSERT INTO tickets (kind, incident_id, title, planned,
		    affected_accounts, eta, opened_at)
		VALUES (CASE WHEN NEW.individual THEN 'repair' ELSE 'outage'
		    END, NEW.id, NEW.title ||
		    coalesce(' (' || NEW.cause || ')', ''), NEW.planned,
		    NEW.affected_accounts, NEW.estimated_restore_at,
		    least(now(), coalesce(NEW.confirmed_at, now())))
		RETURNING id, state INTO v_ticket, v_tstate;
		PERFORM set_config('herald.role', v_role, true);
		PERFORM set_config('herald.actor', v_actor, true);
		PERFORM set_config('herald.note', v_note, true);
		-- Complaints that came while it was only suspected.
		IF NOT NEW.individual THEN
			UPDATE tickets SET parent_id = v_ticket
			WHERE kind = 'complaint' AND incident_id = NEW.id
			    AND parent_id IS NULL;
		END IF;
	END IF;
	IF v_ticket IS NULL THEN
		RETURN NULL;
	END IF;

	IF NEW.state = 'resolved' AND v_tstate NOT IN
	    ('resolved', 'closed', 'cancelled') THEN
		PERFORM ticket_move_as_herald(v_ticket, 'resolved',
		    'incident ' || NEW.id || ' resolved');
	ELSIF NEW.state IN ('merged', 'transient') AND v_tstate NOT IN
	    ('resolved', 'closed', 'cancelled') THEN
		PERFORM ticket_move_as_herald(v_ticket, 'cancelled',
		    'incident ' || NEW.id || ' ' || NEW.state ||
		    coalesce(' into ' || NEW.merged_into, ''));
	ELSIF TG_OP = 'UPDATE' THEN
		-- Counts, title, planned flag and ETA follow the incident.
		UPDATE tickets SET affected_accounts = NEW.affected_accounts,
		    planned = NEW.planned,
		    eta = coalesce(NEW.estimated_restore_at, eta)
		WHERE id = v_ticket AND (affected_accounts IS DISTINCT FROM
		    NEW.affected_accounts OR planned <> NEW.planned OR
		    (NEW.estimated_restore_at IS NOT NULL AND
		    eta IS DISTINCT FROM NEW.estimated_restore_at));
	END IF;
	RETURN NULL;
END;
$$;
CREATE TRIGGER incidents_ticket_insert AFTER INSERT ON incidents
	FOR EACH ROW WHEN (NEW.state IN ('confirmed', 'resolved'))
	EXECUTE FUNCTION incident_ticket();
CREATE TRIGGER incidents_ticket_update AFTER UPDATE ON incidents
	FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR
	    OLD.affected_accounts IS DISTINCT FROM NEW.affected_accounts OR
	    OLD.planned IS DISTINCT FROM NEW.planned OR
	    OLD.estimated_restore_at IS DISTINCT FROM NEW.estimated_restore_at)
	EXECUTE FUNCTION incident_ticket();

-- A resolved outage ticket resolves the complaints under it.
CREATE FUNCTION ticket_resolve_children() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_child	bigint;
BEGIN
	FOR v_child IN SELECT id FROM tickets WHERE parent_id = NEW.id AND
	    kind = 'complaint' AND state NOT IN ('resolved', 'closed',
	    'cancelled') ORDER BY id LOOP
		PERFORM ticket_move_as_herald(v_child, 'resolved',
		    'outage ticket ' || NEW.id || ' resolved');
	END LOOP;
	RETURN NULL;
END;
$$;
CREATE TRIGGER tickets_resolve_children AFTER UPDATE OF state ON tickets
	FOR EACH ROW WHEN (NEW.kind = 'outage' AND NEW.state = 'resolved' AND
	    OLD.state <> 'resolved')
	EXECUTE FUNCTION ticket_resolve_children();

-- Complaints --------------------------------------------------------------

ALTER TABLE complaints
	ADD COLUMN sub_category	text,
	ADD COLUMN pre_notified	boolean NOT NULL DEFAULT false,
	ADD COLUMN priority	integer NOT NULL DEFAULT 3
	    CHECK (priority BETWEEN 1 AND 5),
	-- The operator's list (requirements.md, complaint categories).
	ADD CONSTRAINT complaints_sub_category_check CHECK
	    (sub_category IS NULL OR (category, sub_category) IN (
		('network', 'auth_error'),	-- dial-up 678 / 691
		('network', 'no_pages'),
		('network', 'drops'),
		('network', 'slow'),
		('service', 'some_sites'),
		('service', 'stutter'),		-- video / games
		('delivery', 'installation'),
		('delivery', 'move'),
		('delivery', 'repair'),
		('customer', 'customer_side'),
		('billing', 'billing'),
		('other', 'other')));
COMMENT ON COLUMN complaints.pre_notified IS
	'the subscriber had an outage SMS sent for the linked incident before calling';

-- Before the row: who it is, which open incident covers them, whether they
-- complained in the last 30 days or were told already, the priority.
CREATE FUNCTION complaint_register() RETURNS trigger
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
		    FROM notifications n WHERE n.incident_id = NEW.incident_id
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
CREATE TRIGGER complaints_register BEFORE INSERT ON complaints
	FOR EACH ROW EXECUTE FUNCTION complaint_register();

-- After the row: its ticket, under the outage ticket of its incident.
CREATE FUNCTION complaint_ticket() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO tickets (kind, complaint_id, incident_id, parent_id,
	    priority, title, opened_at)
	VALUES ('complaint', NEW.id, NEW.incident_id,
	    (SELECT id FROM tickets WHERE kind = 'outage' AND
		incident_id = NEW.incident_id),
	    NEW.priority,
	    NEW.channel || ' ' || NEW.category ||
		coalesce('/' || NEW.sub_category, '') ||
		coalesce(' ' || NEW.account, '') || ': ' ||
		left(NEW.content, 80),
	    NEW.received_at);
	RETURN NULL;
END;
$$;
CREATE TRIGGER complaints_ticket AFTER INSERT ON complaints
	FOR EACH ROW EXECUTE FUNCTION complaint_ticket();
