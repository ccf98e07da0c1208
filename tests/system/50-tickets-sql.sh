#!/bin/bash
# 50-tickets-sql: the ticket workflow in SQL (schema/050_tickets.sql), driven
# with psql: transitions by role, refused for everyone else (psql included)
# and written to history; outage and repair tickets that follow their
# incident; the working-day calendar and SLA deadlines; complaints that link
# themselves to the open incident, are flagged repeat and escalated, and
# open their ticket under the outage ticket.
. "${top_srcdir:-.}/tests/lib/tap.sh"
need_db
plan 66

db=$(new_db)
"$HERALDCTL" db migrate -d "$db" >/dev/null || { fail "migrate"; exit 1; }

# One OLT (id 1) with PON 0/1/3: ONUs 1..4, one subscriber each (ids
# 101..104, accounts acct1..acct4, phones 1380000000N).
q "$db" "
INSERT INTO devices (id, name, kind, vendor, mgmt_addr) VALUES
	(1, 'olt1', 'olt', 'huawei', '127.0.0.11');
INSERT INTO boards (id, device_id, frame, slot) VALUES (10, 1, 0, 1);
INSERT INTO ports (id, board_id, port, kind) VALUES (20, 10, 3, 'pon');
INSERT INTO onus (id, port_id, onu_id)
	SELECT 30 + n, 20, n FROM generate_series(1, 4) n;
INSERT INTO subscribers (id, account, onu_id, phones)
	SELECT 100 + n, 'acct' || n, 30 + n, ARRAY['1380000000' || n]
	FROM generate_series(1, 4) n;
" >/dev/null

# as ROLE SQL: run SQL with herald.role set (and an actor and a note).
as() {
	q "$db" "SET herald.role = '$1'; SET herald.actor = 'tester-$1'; SET herald.note = 'by $1'; $2"
}
# err SQL: the error psql prints (empty when the statement succeeded).
err() { q "$db" "$1" 2>&1 >/dev/null | grep -o 'ERROR:.*'; }
state() { q "$db" "SELECT state FROM tickets WHERE id = $1"; }
hist() {
	q "$db" "SELECT string_agg(coalesce(from_state, '-') || '>' || to_state, ',' ORDER BY id) FROM ticket_history WHERE ticket_id = $1"
}

# 1. Transitions by role ---------------------------------------------------

rp=$(q "$db" "INSERT INTO tickets (kind, title) VALUES ('repair', 'ONU 5 dark') RETURNING id" | head -1)
like "without herald.role a state change is refused (plain psql UPDATE)" \
	"$(err "UPDATE tickets SET state = 'acknowledged' WHERE id = $rp")" \
	"no transition from new to acknowledged for role \(none"
like "an empty herald.role is no role either" \
	"$(err "SET herald.role = ''; UPDATE tickets SET state = 'acknowledged' WHERE id = $rp")" \
	"for role \(none"
like "customer service may not acknowledge a repair ticket" \
	"$(as cs "UPDATE tickets SET state = 'acknowledged' WHERE id = $rp" 2>&1)" \
	"ERROR: .*no transition from new to acknowledged for role cs on a repair ticket"
like "heraldd may not acknowledge one either" \
	"$(as herald "UPDATE tickets SET state = 'acknowledged' WHERE id = $rp" 2>&1)" \
	"ERROR: .*for role herald"
is "the refused ticket is still new, with one history row" \
	"$(state $rp) $(hist $rp)" "new ->new"
as noc "UPDATE tickets SET state = 'acknowledged' WHERE id = $rp" >/dev/null
is "the NOC acknowledges it" "$(state $rp)" "acknowledged"
is "history has who, role, from, to and note" \
	"$(q "$db" "SELECT actor, role, from_state, to_state, note, at IS NOT NULL FROM ticket_history WHERE ticket_id = $rp ORDER BY id DESC LIMIT 1")" \
	"tester-noc|noc|new|acknowledged|by noc|t"
is "leaving new records the first response" \
	"$(q "$db" "SELECT responded_at IS NOT NULL FROM tickets WHERE id = $rp")" "t"
like "a step that is no row for anyone is refused: acknowledged to closed" \
	"$(as admin "UPDATE tickets SET state = 'closed' WHERE id = $rp" 2>&1)" \
	"ERROR: .*no transition from acknowledged to closed for role admin"
as noc "UPDATE tickets SET state = 'in_progress' WHERE id = $rp;
	UPDATE tickets SET state = 'resolved' WHERE id = $rp;
	UPDATE tickets SET state = 'closed' WHERE id = $rp" >/dev/null
is "the NOC works it through to closed, every step in history" \
	"$(hist $rp)" "->new,new>acknowledged,acknowledged>in_progress,in_progress>resolved,resolved>closed"
is "resolved_at and closed_at are set" \
	"$(q "$db" "SELECT resolved_at IS NOT NULL, closed_at IS NOT NULL FROM tickets WHERE id = $rp")" "t|t"
like "a closed ticket cannot be cancelled" \
	"$(as noc "UPDATE tickets SET state = 'cancelled' WHERE id = $rp" 2>&1)" "ERROR: "

rp2=$(q "$db" "INSERT INTO tickets (kind, title) VALUES ('repair', 'dup') RETURNING id" | head -1)
as noc "UPDATE tickets SET state = 'cancelled' WHERE id = $rp2" >/dev/null
is "the NOC cancels a repair ticket opened by mistake" "$(state $rp2)" "cancelled"
like "the NOC cannot undo a cancel" \
	"$(as noc "UPDATE tickets SET state = 'reopened' WHERE id = $rp2" 2>&1)" \
	"ERROR: .*from cancelled to reopened for role noc"
as admin "UPDATE tickets SET state = 'reopened' WHERE id = $rp2" >/dev/null
is "an admin can" "$(state $rp2)" "reopened"
like "a ticket is always opened as new" \
	"$(err "INSERT INTO tickets (kind, title, state) VALUES ('repair', 'x', 'closed')")" \
	"opened as new, not closed"
like "an unknown role is refused" \
	"$(as root "UPDATE tickets SET state = 'resolved' WHERE id = $rp2" 2>&1)" \
	"ERROR: .*for role root"
is "other columns change without a role (assignee, team)" \
	"$(q "$db" "UPDATE tickets SET assignee = 'li', team = 'field' WHERE id = $rp2 RETURNING assignee" | head -1)" "li"

# Every kind x role x pair of states, tried for real: each ticket is put in
# its from-state with triggers off (session_replication_role), then moved
# with the role. What passes must be exactly this matrix, written out here
# rather than read from ticket_transitions.
q "$db" "
CREATE TEMP TABLE steps (f text, t text);
INSERT INTO steps VALUES ('new','acknowledged'), ('new','dispatched'),
	('new','resolved'), ('acknowledged','dispatched'),
	('acknowledged','in_progress'), ('acknowledged','resolved'),
	('dispatched','in_progress'), ('dispatched','resolved'),
	('in_progress','resolved'), ('resolved','closed'),
	('resolved','reopened'), ('closed','reopened'),
	('reopened','acknowledged'), ('reopened','dispatched'),
	('reopened','in_progress'), ('reopened','resolved'),
	('new','cancelled'), ('acknowledged','cancelled'),
	('dispatched','cancelled'), ('in_progress','cancelled'),
	('reopened','cancelled');
CREATE TABLE expected_matrix AS
	SELECT k, 'noc' r, f, t FROM steps, unnest('{outage,repair}'::text[]) k
	UNION SELECT 'complaint', 'cs', f, t FROM steps
	UNION SELECT k, 'admin', f, t FROM steps,
	    unnest('{outage,repair,complaint}'::text[]) k
	UNION SELECT k, 'admin', 'cancelled', 'reopened'
	    FROM unnest('{outage,repair,complaint}'::text[]) k
	UNION SELECT k, 'herald', f, 'resolved' FROM
	    unnest('{outage,repair,complaint}'::text[]) k,
	    unnest('{new,acknowledged,dispatched,in_progress,reopened}'::text[]) f
	UNION SELECT k, 'herald', f, 'cancelled' FROM
	    unnest('{outage,repair}'::text[]) k,
	    unnest('{new,acknowledged,dispatched,in_progress,reopened}'::text[]) f;
INSERT INTO incidents (id, kind, scope, title) VALUES (9000, 'x', 'port', 'matrix');
INSERT INTO complaints (id, channel, content) VALUES (9000, 'web', 'matrix');
CREATE TABLE tried_matrix (k text, r text, f text, t text, allowed boolean);
DO \$\$
DECLARE
	k text; r text; f text; t text; v_id bigint;
	states text[] := '{new,acknowledged,dispatched,in_progress,resolved,closed,reopened,cancelled}';
BEGIN
	FOREACH k IN ARRAY '{outage,repair,complaint}'::text[] LOOP
	FOREACH r IN ARRAY '{noc,cs,admin,herald}'::text[] LOOP
	FOREACH f IN ARRAY states LOOP
	FOREACH t IN ARRAY states LOOP
		CONTINUE WHEN f = t;
		PERFORM set_config('herald.role', '', false);
		INSERT INTO tickets (kind, title,
		    incident_id, complaint_id)
		VALUES (k, 'matrix', CASE k WHEN 'complaint' THEN NULL ELSE 9000 END,
		    CASE k WHEN 'complaint' THEN 9000 END)
		RETURNING id INTO v_id;
		SET session_replication_role = replica;
		UPDATE tickets SET state = f WHERE id = v_id;
		SET session_replication_role = origin;
		PERFORM set_config('herald.role', r, false);
		BEGIN
			UPDATE tickets SET state = t WHERE id = v_id;
			INSERT INTO tried_matrix VALUES (k, r, f, t, true);
		EXCEPTION WHEN check_violation THEN
			INSERT INTO tried_matrix VALUES (k, r, f, t, false);
		END;
		DELETE FROM tickets WHERE id = v_id;
	END LOOP; END LOOP; END LOOP; END LOOP;
END;
\$\$;
" >/dev/null
is "every kind x role x transition was tried (3 x 4 x 8 x 7)" \
	"$(q "$db" "SELECT count(*) FROM tried_matrix")" 672
is "what the database allows is exactly the expected matrix" \
	"$(q "$db" "SELECT count(*) FROM ((SELECT k, r, f, t FROM tried_matrix WHERE allowed EXCEPT SELECT * FROM expected_matrix) UNION ALL (SELECT * FROM expected_matrix EXCEPT SELECT k, r, f, t FROM tried_matrix WHERE allowed)) d")" 0
is "allowed: 42 for the NOC, 21 for customer service, 66 for admin, 25 for heraldd" \
	"$(q "$db" "SELECT string_agg(r || '=' || n, ' ' ORDER BY r) FROM (SELECT r, count(*) n FROM tried_matrix WHERE allowed GROUP BY r) x")" \
	"admin=66 cs=21 herald=25 noc=42"

# 2. Calendar and deadlines --------------------------------------------------

awd() {
	q "$db" "SET TimeZone = 'Asia/Shanghai'; SELECT to_char(add_working_days('$1+08', $2), 'YYYY-MM-DD Dy HH24:MI')"
}
is "a plain week: Friday 10:00 + 2 working days is Tuesday 10:00" \
	"$(awd '2026-03-06 10:00' 2)" "2026-03-10 Tue 10:00"
is "National Day: Wednesday 30 Sep + 2 skips 1-7 Oct" \
	"$(awd '2026-09-30 10:00' 2)" "2026-10-09 Fri 10:00"
is "the make-up Saturday 10 Oct is a working day" \
	"$(awd '2026-09-30 10:00' 3)" "2026-10-10 Sat 10:00"
is "the make-up Saturday 14 Feb before the Spring Festival counts" \
	"$(awd '2026-02-13 10:00' 1)" "2026-02-14 Sat 10:00"
is "and then the whole festival (15-23 Feb) is skipped" \
	"$(awd '2026-02-13 10:00' 2)" "2026-02-24 Tue 10:00"
is "from a Saturday, counting starts Monday 00:00" \
	"$(awd '2026-03-07 15:00' 2)" "2026-03-11 Wed 00:00"
is "from a public holiday (1 May), counting starts after it" \
	"$(awd '2026-05-01 12:00' 1)" "2026-05-07 Thu 00:00"
is "the session's time zone does not move the day (UTC session)" \
	"$(q "$db" "SET TimeZone = 'UTC'; SELECT add_working_days('2026-03-06 23:30+08', 1) = '2026-03-09 23:30+08'")" "t"
is "calendar: 2026 holidays and make-up days are listed" \
	"$(q "$db" "SELECT count(*) FILTER (WHERE NOT working), count(*) FILTER (WHERE working) FROM calendar_days WHERE day BETWEEN '2026-01-01' AND '2026-12-31'")" "33|6"

is "a repair ticket's first response is due 30 minutes after opening" \
	"$(q "$db" "SELECT first_response_due - opened_at FROM tickets WHERE id = $rp")" "00:30:00"

# A complaint received Tuesday 29 Sep 09:00: accepted by Wed 09:00; reply
# 2 working days (30 Sep, 8 Oct); investigation 5 (9 Oct, Sat 10 Oct
# make-up, Mon 12 Oct); solution 7 (13, 14 Oct).
c0=$(q "$db" "INSERT INTO complaints (account, channel, category, content, received_at) VALUES ('acct4', 'web', 'billing', 'double charge', '2026-09-29 09:00+08') RETURNING id" | head -1)
t0=$(q "$db" "SELECT id FROM tickets WHERE complaint_id = $c0")
is "a complaint opens its ticket, with the SLA deadlines across National Day" \
	"$(q "$db" "SET TimeZone = 'Asia/Shanghai'; SELECT to_char(first_response_due, 'MM-DD HH24:MI') || ' ' || to_char(reply_due, 'MM-DD HH24:MI') || ' ' || to_char(investigation_due, 'MM-DD HH24:MI') || ' ' || to_char(resolve_due, 'MM-DD HH24:MI') FROM tickets WHERE id = '$t0'")" \
	"09-30 09:00 10-08 09:00 10-12 09:00 10-14 09:00"
is "it is overdue on every deadline (still new, long past)" \
	"$(q "$db" "SELECT string_agg(deadline, ',' ORDER BY due) FROM tickets_overdue WHERE id = '$t0'")" \
	"acceptance,reply,investigation,solution"
as cs "UPDATE tickets SET state = 'acknowledged', replied_at = now() WHERE id = '$t0'" >/dev/null
is "accepted and replied to: only investigation and solution are overdue" \
	"$(q "$db" "SELECT string_agg(deadline, ',' ORDER BY due) FROM tickets_overdue WHERE id = '$t0'")" \
	"investigation,solution"
like "the NOC may not touch a complaint ticket" \
	"$(as noc "UPDATE tickets SET state = 'resolved' WHERE id = '$t0'" 2>&1)" \
	"ERROR: .*for role noc on a complaint ticket"
like "investigation may be extended, but not past 15 working days" \
	"$(err "UPDATE tickets SET investigation_due = add_working_days(opened_at, 16) WHERE id = $t0")" \
	"at most 15 working days"
q "$db" "UPDATE tickets SET investigation_due = add_working_days(opened_at, 15) WHERE id = $t0" >/dev/null
is "extended to 15 working days (to Mon 26 Oct, the make-up Saturday counted)" \
	"$(q "$db" "SET TimeZone = 'Asia/Shanghai'; SELECT to_char(investigation_due, 'MM-DD HH24:MI') FROM tickets WHERE id = $t0")" \
	"10-26 09:00"
as cs "UPDATE tickets SET state = 'resolved' WHERE id = '$t0'" >/dev/null
is "resolved, it is overdue no more" \
	"$(q "$db" "SELECT count(*) FROM tickets_overdue WHERE id = '$t0'")" 0

# 3. Tickets follow their incident; complaints link themselves -------------

# inc UID STATE ACCOUNTS [sed]: one incident of PON 0/1/3 (or ONU 2).
inc() {
	echo "{\"uid\":\"$1\",\"scope_key\":\"${SCOPE:-1:port:0/1/3}\",\"scope\":\"port\",\"device_id\":1,\"frame\":0,\"slot\":1,\"port\":3,\"onu\":null,\"splitter\":null,\"line\":null,\"individual\":${INDIV:-false},\"state\":\"$2\",\"cause\":\"fibre_cut\",\"planned\":${PLANNED:-false},\"title\":\"PON 0/1/3 down\",\"root_alarm\":\"1:pon.los:0/1/3\",\"opened_at\":\"2026-12-01T00:00:01Z\",\"confirmed_at\":${CONF:-null},\"resolved_at\":null,\"affected_onus\":4,\"subscriber_minutes\":0,\"merged_into\":${MERGED:-null},\"accounts\":[$3],\"evidence\":[]}"
}
wi() { q "$db" "SELECT rules_write_incident('$1'::jsonb)"; }
complain() {	# ACCOUNT CHANNEL [CONTENT]: prints the complaint id
	q "$db" "INSERT INTO complaints (account, channel, category, sub_category, content) VALUES ('$1', '$2', 'network', 'drops', '${3:-no internet}') RETURNING id" | head -1
}
cq() { q "$db" "SELECT $2 FROM complaints WHERE id = $1"; }
ctk() { q "$db" "SELECT $2 FROM tickets WHERE complaint_id = $1"; }

# Before any outage: a complaint links nothing.
cb=$(complain acct1 hotline)
is "before the outage: found by account, no incident, not repeat, priority 3" \
	"$(cq $cb "subscriber_id, coalesce(incident_id::text, '-'), is_repeat, priority, pre_notified")" "101|-|f|3|f"

# Suspected: the complaint links, but there is no outage ticket yet.
i1=$(wi "$(inc 'p@1' suspected 101,102,103)")
is "a suspected incident opens no ticket" \
	"$(q "$db" "SELECT count(*) FROM tickets WHERE incident_id = $i1")" 0
cs1=$(complain acct2 hotline)
is "during the suspected outage the complaint links to it" "$(cq $cs1 incident_id)" "$i1"

# Confirmed: one outage ticket, opened by herald, adopting the complaint.
CONF='"2026-12-01T00:01:00Z"'
wi "$(inc 'p@1' confirmed 101,102,103)" >/dev/null
wi "$(inc 'p@1' confirmed 101,102,103)" >/dev/null
is "confirmed (written twice): one outage ticket" \
	"$(q "$db" "SELECT count(*), min(kind) FROM tickets WHERE incident_id = $i1 AND kind <> 'complaint'")" "1|outage"
ot=$(q "$db" "SELECT id FROM tickets WHERE incident_id = $i1 AND kind = 'outage'")
is "its title, planned flag and affected count come from the incident" \
	"$(q "$db" "SELECT title, planned, affected_accounts, state FROM tickets WHERE id = $ot")" \
	"PON 0/1/3 down (fibre_cut)|f|3|new"
is "history says heraldd opened it" \
	"$(q "$db" "SELECT actor, role, to_state, note FROM ticket_history WHERE ticket_id = $ot")" \
	"herald|herald|new|incident $i1 confirmed"
is "the complaint made while it was suspected is now its child" \
	"$(ctk $cs1 parent_id)" "$ot"

# Complaints during the confirmed outage.
cd1=$(complain acct1 hotline)
is "during the outage: linked, a child of the outage ticket" \
	"$(cq $cd1 "incident_id, is_repeat") $(ctk $cd1 parent_id)" "$i1|t $ot"
is "the second complaint of acct1 within 30 days is a repeat, the first was not" \
	"$(q "$db" "SELECT string_agg(is_repeat::text, ',' ORDER BY id) FROM complaints WHERE subscriber_id = 101")" "false,true"
# The outage notice the confirmation queued (070) was delivered.
q "$db" "UPDATE notifications SET state = 'delivered', sent_at = now() - interval '1 minute' WHERE incident_id = $i1 AND subscriber_id = 103 AND kind = 'outage'" >/dev/null
cd3=$(q "$db" "INSERT INTO complaints (caller_phone, channel, category, content) VALUES ('13800000003', '12345', 'network', 'escalated') RETURNING id" | head -1)
is "by phone only: found, linked, told before calling, top priority" \
	"$(cq $cd3 "account, incident_id, pre_notified, priority, escalated") $(ctk $cd3 priority)" \
	"acct3|$i1|t|1|t 1"
for ch in 12315 miit; do
	c=$(complain acct4 $ch)
	is "a $ch complaint gets priority 1 (acct4 is not in the outage)" \
		"$(cq $c "priority, coalesce(incident_id::text, '-')") $(ctk $c "coalesce(parent_id::text, '-')")" "1|- -"
done
like "a sub-category must belong to its category" \
	"$(err "INSERT INTO complaints (account, channel, category, sub_category, content) VALUES ('acct1', 'web', 'billing', 'slow', 'x')")" \
	"complaints_sub_category_check"

# Roles on the outage ticket.
like "customer service may not close (or touch) an outage ticket" \
	"$(as cs "UPDATE tickets SET state = 'closed' WHERE id = $ot" 2>&1)" \
	"ERROR: .*no transition from new to closed for role cs on a outage ticket"
as noc "UPDATE tickets SET state = 'acknowledged' WHERE id = $ot" >/dev/null
q "$db" "UPDATE incidents SET estimated_restore_at = '2026-12-01 06:00+00' WHERE id = $i1" >/dev/null
is "the ETA follows the incident" \
	"$(q "$db" "SELECT eta = '2026-12-01 06:00+00' FROM tickets WHERE id = $ot")" "t"

# Resolved: the ticket resolves as herald, and its complaints with it.
wi "$(inc 'p@1' resolved 101,102,103)" >/dev/null
is "the incident resolves: the outage ticket is resolved by herald" \
	"$(state $ot) $(hist $ot)" "resolved ->new,new>acknowledged,acknowledged>resolved"
is "that step is heraldd's, with a note" \
	"$(q "$db" "SELECT actor, role, note FROM ticket_history WHERE ticket_id = $ot ORDER BY id DESC LIMIT 1")" \
	"herald|herald|incident $i1 resolved"
is "the complaints under it are resolved with it" \
	"$(q "$db" "SELECT string_agg(DISTINCT state, ',') FROM tickets WHERE parent_id = $ot")" "resolved"
is "the caller's settings are untouched by heraldd's steps" \
	"$(q "$db" "SET herald.role = 'cs'; SELECT rules_write_incident('$(inc 'p@1' resolved 101)'::jsonb) IS NOT NULL, current_setting('herald.role')")" "t|cs"
like "customer service still cannot close it" \
	"$(as cs "UPDATE tickets SET state = 'closed' WHERE id = $ot" 2>&1)" \
	"ERROR: .*no transition from resolved to closed for role cs"
as noc "UPDATE tickets SET state = 'closed' WHERE id = $ot" >/dev/null
is "the NOC closes it after checking" "$(state $ot)" "closed"

ca=$(complain acct2 web)
is "after the outage a complaint links nothing" \
	"$(cq $ca "coalesce(incident_id::text, '-')") $(ctk $ca "coalesce(parent_id::text, '-')")" "- -"

# Confirmed and resolved before anyone touched it, stored in one write.
i2=$(wi "$(SCOPE=1:port:0/1/4 inc 'p4@1' resolved 104)")
is "an incident stored already resolved still gets its ticket and full history" \
	"$(q "$db" "SELECT kind, state FROM tickets WHERE incident_id = $i2") $(hist "(SELECT id FROM tickets WHERE incident_id = $i2)")" \
	"outage|resolved ->new,new>resolved"

# Individual: a repair ticket; never linked to complaints.
i3=$(wi "$(SCOPE=1:onu:0/1/3/2 INDIV=true PLANNED=true inc 'o2@1' confirmed 102)")
is "an individual incident opens a repair ticket (planned copied, 30 min due)" \
	"$(q "$db" "SELECT kind, planned, first_response_due - opened_at FROM tickets WHERE incident_id = $i3")" \
	"repair|t|00:30:00"
ci=$(complain acct2 hall)
is "a complaint is not linked to an individual incident" \
	"$(cq $ci "coalesce(incident_id::text, '-')")" "-"

# Merged and transient incidents never get a ticket; merged after its
# ticket was opened, the ticket is cancelled.
CONF=null
i4=$(wi "$(SCOPE=1:port:0/1/5 inc 't@1' transient 101)")
i5=$(wi "$(SCOPE=1:port:0/1/6 MERGED='"x@1"' inc 'm@1' merged 101)")
is "transient and merged incidents open no ticket" \
	"$(q "$db" "SELECT count(*) FROM tickets WHERE incident_id IN ($i4, $i5)")" 0
CONF='"2026-12-01T00:01:00Z"'
i6=$(wi "$(SCOPE=1:port:0/1/7 inc 'c@1' confirmed 101)")
wi "$(SCOPE=1:port:0/1/7 MERGED='"p@2"' inc 'c@1' merged 101)" >/dev/null
is "confirmed then merged: its ticket is cancelled by herald" \
	"$(q "$db" "SELECT state FROM tickets WHERE incident_id = $i6") $(q "$db" "SELECT role FROM ticket_history WHERE ticket_id = (SELECT id FROM tickets WHERE incident_id = $i6) ORDER BY id DESC LIMIT 1")" \
	"cancelled herald"
like "a second outage ticket for an incident is refused" \
	"$(err "INSERT INTO tickets (kind, incident_id, title) VALUES ('outage', $i1, 'again')")" \
	"tickets_one_per_incident"
