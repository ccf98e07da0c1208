#!/bin/bash
# 60-kannel: the real-Kannel harness the notifier is tested against works:
# sendsms reaches the fake SMSC with the exact phone and text (Chinese as
# UCS-2, decoded back), the delivery report comes back to the dlr-url with
# our own id, a stopped gateway refuses and a restarted one accepts again, an
# SMSC link that drops makes Kannel queue and deliver later, and gw-proxy
# produces the 5xx, hang, reset and slow answers Kannel cannot.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/kannel.sh"
need_kannel
plan 32

ZH='【星河宽带】尊敬的用户：您所在的南山区光纤中断，预计18:00前恢复。'
EN='Xinghe Broadband: a fibre cut in Nanshan, service back by 18:00.'

ok "Kannel starts (bearerbox, fakesmsc, smsbox)" start_kannel
like "sendsms: an English text is accepted" \
	"$(sendsms 13900000001 "$EN")" '^202 0: Accepted for delivery'
like "sendsms: the Chinese text with coding=2, charset=UTF-8" \
	"$(sendsms 13800138000 "$ZH" '&coding=2&charset=UTF-8')" \
	'^202 0: Accepted for delivery'
ok "the fake SMSC received both" wait_smsc 2
is "  exactly that phone and English text" \
	"$(smsc_messages | grep '^13900000001')" "13900000001	$EN"
is "  exactly that phone and Chinese text, decoded from UCS-2" \
	"$(smsc_messages | grep '^13800138000')" "13800138000	$ZH"
like "  (it did travel as UCS-2)" "$(grep 13800138000 "$SMSC_LOG")" \
	'10086 13800138000 ucs-2 '
is "smsc_count TO" "$(smsc_count 13800138000)" 1

# A notice over 70 UCS-2 characters goes out as parts, joined back here.
LONG="$ZH 受影响地址：南山区科技园、粤海街道、蛇口街道。如有疑问请致电10000，工单号T20261202-0001。"
sendsms 13800138001 "$LONG" '&coding=2&charset=UTF-8' >/dev/null
ok "a long Chinese notice arrives" wait_smsc 3
is "  as one message, the parts joined" \
	"$(smsc_messages | grep '^13800138001')" "13800138001	$LONG"
is "  that travelled as 2 parts" \
	"$(smsc_messages --parts | grep -c '^13800138001')" 2

# Delivery reports: Kannel GETs the dlr-url, escape codes filled in.
python3 "$KANNEL_TOOLS/dlr-listen.py" "$TEST_TMP/dlr.port" "$TEST_TMP/dlr.log" &
TEST_PIDS="$TEST_PIDS $!"
ok "the DLR listener is up" wait_for 15 test -s "$TEST_TMP/dlr.port"
dlr="http://127.0.0.1:$(cat "$TEST_TMP/dlr.port")/dlr/msg-4711?type=%d&to=%p&smsc=%F"
like "sendsms with dlr-mask=3 and a dlr-url" \
	"$(sendsms 13800138002 "$ZH" "&coding=2&charset=UTF-8&dlr-mask=3&dlr-url=$(kannel_urlencode "$dlr")")" \
	'^202 0:'
ok "the delivery report comes back" wait_log "$TEST_TMP/dlr.log" 'msg-4711' 30
like "  for our id, type 1 (delivered), the handset's number" \
	"$(grep msg-4711 "$TEST_TMP/dlr.log")" \
	'^GET /dlr/msg-4711\?type=1&to=13800138002&smsc=[0-9a-f-]{36}$'
is "  and only one (mask 3: delivered or failed)" \
	"$(grep -c msg-4711 "$TEST_TMP/dlr.log")" 1
ok "  and the SMSC logged the message" wait_smsc 4

# The gateway goes down and comes back on the same ports.
stop_kannel
like "Kannel stopped: sendsms is refused" \
	"$(curl -s -m 10 -o /dev/null -w '%{http_code} %{exitcode}' "$KANNEL_SENDSMS_URL" 2>&1)" \
	'^000 7$'
ok "Kannel starts again" start_kannel_again
like "  and accepts" "$(sendsms 13900000002 "$EN")" '^202 0: Accepted'
ok "  and delivers" wait_smsc 5

# The SMSC link drops: Kannel still accepts, queues, and delivers later.
ok "fakesmsc disconnects" smsc_disconnect
like "  sendsms: 3: Queued for later delivery" \
	"$(sendsms 13900000003 "$EN")" '^202 3: Queued'
ok "fakesmsc reconnects" smsc_reconnect
ok "  and gets what Kannel queued" wait_smsc 6

# gw-proxy: the faults Kannel cannot produce.
start_gw_proxy
SENDSMS_URL=$GW_PROXY_URL
like "gw-proxy pass: through to Kannel" "$(sendsms 13900000004 "$EN")" '^202 0: Accepted'
gw_proxy_mode 503
like "gw-proxy 503" "$(sendsms 13900000005 "$EN")" '^503 '
gw_proxy_mode delay 1500
t0=$(date +%s%N)
r=$(sendsms 13900000006 "$EN")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "gw-proxy delay 1500: accepted after >= 1.5 s ($ms ms)" \
	test "${r%% *}" = 202 -a "$ms" -ge 1500
gw_proxy_mode hang
r=$(curl -s -m 2 -o /dev/null -w '%{http_code} %{exitcode}' "$GW_PROXY_URL?x=1" 2>&1)
is "gw-proxy hang: no answer (curl times out)" "$r" "000 28"
gw_proxy_mode reset
r=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{exitcode}' "$GW_PROXY_URL?x=2" 2>&1)
is "gw-proxy reset: the connection closes empty" "$r" "000 52"
SENDSMS_URL=
wait_smsc 8 30
# 13900000005 (503) never reached Kannel; every accepted one arrived once
is "exactly once at the SMSC: the 503 one missing, no duplicates" \
	"$(smsc_messages | cut -f1 | sort | uniq -c | awk '$1 != 1 || $2 == "13900000005"' | wc -l)" 0
# (sorted: a hang is logged when the client gives up, maybe after the next)
is "gw-proxy logged what it saw" \
	"$(cut -f1,4 "$GW_PROXY_LOG" | sort | tr '\n\t' '; ')" \
	'503 503;delay 1500 202;hang -;pass 202;reset -;'
