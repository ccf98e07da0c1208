-- 001_core: the access network, subscribers, alarms, incidents, tickets,
-- complaints and notifications. Kinds and states are text with CHECK
-- constraints so that later migrations can extend them.

CREATE TABLE instances (
	name		text PRIMARY KEY,
	pid		integer NOT NULL,
	version		text NOT NULL,
	started_at	timestamptz NOT NULL DEFAULT now(),
	last_seen	timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE instances IS 'running heraldd instances and their last heartbeat';

CREATE TABLE devices (
	id		bigserial PRIMARY KEY,
	name		text NOT NULL UNIQUE,
	kind		text NOT NULL CHECK (kind IN ('olt', 'dslam')),
	vendor		text NOT NULL,
	model		text,
	mgmt_addr	inet NOT NULL,
	snmp_profile	text NOT NULL DEFAULT 'default',
	sys_object_id	text,
	region		text,
	site		text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX devices_mgmt_addr ON devices (mgmt_addr);
COMMENT ON COLUMN devices.snmp_profile IS
	'names a credentials section of herald.conf; secrets are not stored here';

CREATE TABLE boards (
	id		bigserial PRIMARY KEY,
	device_id	bigint NOT NULL REFERENCES devices ON DELETE CASCADE,
	frame		integer NOT NULL DEFAULT 0 CHECK (frame >= 0),
	slot		integer NOT NULL CHECK (slot >= 0),
	board_type	text,
	UNIQUE (device_id, frame, slot)
);

CREATE TABLE ports (
	id		bigserial PRIMARY KEY,
	board_id	bigint NOT NULL REFERENCES boards ON DELETE CASCADE,
	port		integer NOT NULL CHECK (port >= 0),
	kind		text NOT NULL CHECK (kind IN ('pon', 'eth', 'dsl')),
	if_index	bigint,
	UNIQUE (board_id, port)
);

CREATE TABLE splitters (
	id		bigserial PRIMARY KEY,
	port_id		bigint NOT NULL REFERENCES ports ON DELETE CASCADE,
	name		text NOT NULL,
	ratio		text,
	location	text,
	UNIQUE (port_id, name)
);

CREATE TABLE onus (
	id		bigserial PRIMARY KEY,
	port_id		bigint NOT NULL REFERENCES ports ON DELETE CASCADE,
	onu_id		integer NOT NULL CHECK (onu_id >= 0),
	serial		text UNIQUE,
	splitter_id	bigint REFERENCES splitters ON DELETE SET NULL,
	UNIQUE (port_id, onu_id)
);

CREATE TABLE dsl_lines (
	id		bigserial PRIMARY KEY,
	port_id		bigint NOT NULL UNIQUE REFERENCES ports ON DELETE CASCADE,
	circuit_id	text
);

CREATE TABLE subscribers (
	id		bigserial PRIMARY KEY,
	account		text NOT NULL UNIQUE,
	name		text,
	phones		text[] NOT NULL DEFAULT '{}',
	address		text,
	region		text,
	language	text NOT NULL DEFAULT 'zh' CHECK (language IN ('zh', 'en')),
	sms_opt_out	boolean NOT NULL DEFAULT false,
	onu_id		bigint REFERENCES onus ON DELETE SET NULL,
	dsl_line_id	bigint REFERENCES dsl_lines ON DELETE SET NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (num_nonnulls(onu_id, dsl_line_id) <= 1)
);
CREATE INDEX subscribers_onu ON subscribers (onu_id) WHERE onu_id IS NOT NULL;
CREATE INDEX subscribers_dsl_line ON subscribers (dsl_line_id)
	WHERE dsl_line_id IS NOT NULL;
CREATE INDEX subscribers_phones ON subscribers USING gin (phones);
COMMENT ON TABLE subscribers IS
	'broadband accounts; an account hangs off one ONU or one DSL line';

CREATE TABLE incidents (
	id		bigserial PRIMARY KEY,
	kind		text NOT NULL,
	scope		text NOT NULL CHECK (scope IN
			    ('device', 'board', 'port', 'splitter', 'onu', 'line')),
	device_id	bigint REFERENCES devices ON DELETE SET NULL,
	board_id	bigint REFERENCES boards ON DELETE SET NULL,
	port_id		bigint REFERENCES ports ON DELETE SET NULL,
	splitter_id	bigint REFERENCES splitters ON DELETE SET NULL,
	onu_id		bigint REFERENCES onus ON DELETE SET NULL,
	state		text NOT NULL DEFAULT 'suspected' CHECK (state IN
			    ('suspected', 'confirmed', 'resolved')),
	cause		text,
	title		text NOT NULL,
	affected_accounts integer NOT NULL DEFAULT 0,
	opened_at	timestamptz NOT NULL DEFAULT now(),
	confirmed_at	timestamptz,
	resolved_at	timestamptz,
	estimated_restore_at timestamptz,
	CHECK (state <> 'resolved' OR resolved_at IS NOT NULL)
);
CREATE INDEX incidents_open ON incidents (state) WHERE state <> 'resolved';

CREATE TABLE alarms (
	id		bigserial PRIMARY KEY,
	device_id	bigint NOT NULL REFERENCES devices ON DELETE CASCADE,
	kind		text NOT NULL CHECK (kind IN ('device.unreachable',
			    'device.power', 'board.fault', 'pon.los', 'onu.los',
			    'onu.dying_gasp', 'onu.offline', 'port.down',
			    'dsl.line_down')),
	reduction_key	text NOT NULL,
	frame		integer,
	slot		integer,
	port		integer,
	onu		integer,
	state		text NOT NULL DEFAULT 'raised'
			    CHECK (state IN ('raised', 'cleared')),
	source		text NOT NULL DEFAULT 'trap'
			    CHECK (source IN ('trap', 'poll', 'manual')),
	cause		text,
	raise_count	integer NOT NULL DEFAULT 1,
	first_raised_at	timestamptz NOT NULL DEFAULT now(),
	last_raised_at	timestamptz NOT NULL DEFAULT now(),
	cleared_at	timestamptz,
	acknowledged_by	text,
	acknowledged_at	timestamptz,
	incident_id	bigint REFERENCES incidents ON DELETE SET NULL,
	CHECK (state = 'raised' OR cleared_at IS NOT NULL)
);
-- One open alarm per reduction key: duplicates (two collectors, repeated
-- traps) fold into it.
CREATE UNIQUE INDEX alarms_open_key ON alarms (reduction_key)
	WHERE state = 'raised';
CREATE INDEX alarms_incident ON alarms (incident_id);

CREATE TABLE incident_accounts (
	incident_id	bigint NOT NULL REFERENCES incidents ON DELETE CASCADE,
	subscriber_id	bigint NOT NULL REFERENCES subscribers ON DELETE CASCADE,
	added_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (incident_id, subscriber_id)
);
CREATE INDEX incident_accounts_subscriber ON incident_accounts (subscriber_id);

CREATE TABLE complaints (
	id		bigserial PRIMARY KEY,
	subscriber_id	bigint REFERENCES subscribers ON DELETE SET NULL,
	account		text,
	caller_phone	text,
	caller_name	text,
	channel		text NOT NULL CHECK (channel IN ('hotline', 'web',
			    'email', 'hall', 'social', '12345', '12315', 'miit')),
	escalated	boolean GENERATED ALWAYS AS
			    (channel IN ('12345', '12315', 'miit')) STORED,
	category	text NOT NULL DEFAULT 'network' CHECK (category IN
			    ('network', 'service', 'delivery', 'billing',
			    'customer', 'other')),
	content		text NOT NULL,
	received_at	timestamptz NOT NULL DEFAULT now(),
	incident_id	bigint REFERENCES incidents ON DELETE SET NULL,
	is_repeat	boolean NOT NULL DEFAULT false
);
CREATE INDEX complaints_subscriber ON complaints (subscriber_id, received_at);

CREATE TABLE tickets (
	id		bigserial PRIMARY KEY,
	kind		text NOT NULL CHECK (kind IN ('outage', 'complaint', 'repair')),
	incident_id	bigint REFERENCES incidents ON DELETE SET NULL,
	complaint_id	bigint REFERENCES complaints ON DELETE SET NULL,
	state		text NOT NULL DEFAULT 'new' CHECK (state IN ('new',
			    'acknowledged', 'dispatched', 'in_progress',
			    'resolved', 'closed', 'reopened')),
	priority	integer NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
	team		text,
	assignee	text,
	title		text NOT NULL,
	opened_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	first_response_due timestamptz,
	resolve_due	timestamptz,
	resolved_at	timestamptz,
	closed_at	timestamptz,
	CHECK (kind <> 'outage' OR incident_id IS NOT NULL),
	CHECK (kind <> 'complaint' OR complaint_id IS NOT NULL)
);
-- One outage ticket per incident.
CREATE UNIQUE INDEX tickets_one_per_incident ON tickets (incident_id)
	WHERE kind = 'outage';

CREATE TABLE ticket_transitions (
	from_state	text NOT NULL,
	to_state	text NOT NULL,
	PRIMARY KEY (from_state, to_state)
);
INSERT INTO ticket_transitions VALUES
	('new', 'acknowledged'), ('new', 'dispatched'), ('new', 'resolved'),
	('acknowledged', 'dispatched'), ('acknowledged', 'in_progress'),
	('acknowledged', 'resolved'),
	('dispatched', 'in_progress'), ('dispatched', 'resolved'),
	('in_progress', 'resolved'),
	('resolved', 'closed'), ('resolved', 'reopened'),
	('closed', 'reopened'),
	('reopened', 'acknowledged'), ('reopened', 'dispatched'),
	('reopened', 'in_progress'), ('reopened', 'resolved');

CREATE TABLE ticket_history (
	id		bigserial PRIMARY KEY,
	ticket_id	bigint NOT NULL REFERENCES tickets ON DELETE CASCADE,
	at		timestamptz NOT NULL DEFAULT now(),
	actor		text NOT NULL DEFAULT current_user,
	from_state	text,
	to_state	text NOT NULL,
	note		text
);
CREATE INDEX ticket_history_ticket ON ticket_history (ticket_id, at);

-- The workflow lives here, not in the daemon: a state change that is not in
-- ticket_transitions is refused, and every change is written to history.
CREATE FUNCTION ticket_workflow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO ticket_history (ticket_id, from_state, to_state, actor)
		VALUES (NEW.id, NULL, NEW.state,
		    coalesce(current_setting('herald.actor', true), current_user));
		RETURN NEW;
	END IF;
	IF NEW.state IS DISTINCT FROM OLD.state THEN
		IF NOT EXISTS (SELECT 1 FROM ticket_transitions
		    WHERE from_state = OLD.state AND to_state = NEW.state) THEN
			RAISE EXCEPTION 'ticket %: no transition from % to %',
			    OLD.id, OLD.state, NEW.state
			    USING ERRCODE = 'check_violation';
		END IF;
		NEW.updated_at := now();
		IF NEW.state = 'resolved' THEN
			NEW.resolved_at := now();
		ELSIF NEW.state = 'closed' THEN
			NEW.closed_at := now();
		ELSIF NEW.state = 'reopened' THEN
			NEW.resolved_at := NULL;
			NEW.closed_at := NULL;
		END IF;
		INSERT INTO ticket_history (ticket_id, from_state, to_state, actor,
		    note)
		VALUES (NEW.id, OLD.state, NEW.state,
		    coalesce(current_setting('herald.actor', true), current_user),
		    current_setting('herald.note', true));
	END IF;
	RETURN NEW;
END;
$$;
CREATE TRIGGER tickets_workflow_insert AFTER INSERT ON tickets
	FOR EACH ROW EXECUTE FUNCTION ticket_workflow();
CREATE TRIGGER tickets_workflow_update BEFORE UPDATE ON tickets
	FOR EACH ROW EXECUTE FUNCTION ticket_workflow();

CREATE TABLE notifications (
	id		bigserial PRIMARY KEY,
	subscriber_id	bigint REFERENCES subscribers ON DELETE SET NULL,
	incident_id	bigint REFERENCES incidents ON DELETE SET NULL,
	kind		text NOT NULL CHECK (kind IN
			    ('outage', 'restored', 'complaint', 'manual')),
	phone		text NOT NULL,
	language	text NOT NULL DEFAULT 'zh',
	body		text NOT NULL,
	state		text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued',
			    'sending', 'sent', 'delivered', 'failed',
			    'suppressed')),
	attempts	integer NOT NULL DEFAULT 0,
	next_attempt_at	timestamptz NOT NULL DEFAULT now(),
	created_at	timestamptz NOT NULL DEFAULT now(),
	sent_at		timestamptz,
	delivered_at	timestamptz,
	gateway_ref	text,
	dlr_token	text UNIQUE,
	last_error	text
);
-- Never twice: one message of each kind per incident and subscriber.
CREATE UNIQUE INDEX notifications_once ON notifications
	(incident_id, subscriber_id, kind)
	WHERE incident_id IS NOT NULL AND subscriber_id IS NOT NULL;
CREATE INDEX notifications_due ON notifications (next_attempt_at)
	WHERE state IN ('queued', 'sending');
