-- 012_events_counts: what a PON LOS trap counts, for the rules engine to
-- tell a feeder fibre cut (many ONUs affected, few dying gasps) from an
-- area power cut (most of them sent a dying gasp). Huawei sends them as
-- hwXponOltLosAffectOntNum and hwXponOltLosDgiOntNum; NULL when the trap
-- does not carry them or says -1 (invalid).
ALTER TABLE events ADD COLUMN affected_onus integer;
ALTER TABLE events ADD COLUMN dying_gasp_onus integer;
COMMENT ON COLUMN events.affected_onus IS
	'ONUs a PON LOS affected, as the OLT counted them; NULL if not given';
COMMENT ON COLUMN events.dying_gasp_onus IS
	'ONUs that sent a dying gasp when the PON LOS occurred; NULL if not given';
