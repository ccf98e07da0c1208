-- 020_poll: where each device answers SNMP, for the poller. Real OLTs use
-- 161; simulated fleets put many agents on one address.
ALTER TABLE devices ADD COLUMN snmp_port integer NOT NULL DEFAULT 161
	CHECK (snmp_port BETWEEN 1 AND 65535);
