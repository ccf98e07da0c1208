#!/usr/bin/env python3
"""web-test.py: the web pages in a real browser (headless Chromium through
chromedriver), for tests/system/70-web.sh. Prints TAP lines numbered from
--first; the shell script owns the plan.

The script drives the pages as the NOC and customer service would: a
wrong-role token is refused, the board is opened, a fibre is cut in
herald-sim (through --sim), the incident must appear on the open board
without a reload, it is acknowledged from the incident page (checked in
PostgreSQL through psql --db), the subscriber is looked up by phone on the
customer-service page and a complaint registered; hostile inventory text
must show as text. Screenshots go to --out (and --doc when given).
"""
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import (NoAlertPresentException,
                                        StaleElementReferenceException,
                                        TimeoutException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

N = 0


def tap(ok, desc, diag=None):
    global N
    N += 1
    print(("ok" if ok else "not ok") + f" {N} - {desc}", flush=True)
    if not ok and diag:
        for line in str(diag).splitlines():
            print("# " + line, flush=True)
    return ok


def diag(msg):
    print("# " + msg, flush=True)


def psql(db, sql):
    return subprocess.run(["psql", "-X", "-q", "-At", "-d", db, "-c", sql],
                          capture_output=True, text=True).stdout.strip()


def browser(w, h):
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
              "--disable-gpu", f"--window-size={w},{h}", "--lang=zh-CN",
              "--hide-scrollbars"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    opts.add_experimental_option("prefs",
                                 {"intl.accept_languages": "zh-CN,zh"})
    # The NOC's clock: times on the pages as in the texts sent.
    env = dict(os.environ, TZ="Asia/Shanghai", LANGUAGE="zh_CN")
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver", env=env),
                         options=opts)
    viewport(d, w, h)
    return d


def viewport(d, w, h):
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": w, "height": h, "deviceScaleFactor": 1, "mobile": False})


def wait(d, cond, secs=10, step=0.02):
    try:
        return WebDriverWait(d, secs, poll_frequency=step,
                             ignored_exceptions=[StaleElementReferenceException]
                             ).until(lambda d: cond(d))
    except TimeoutException:
        return None


def text_of(d, css):
    # In the page, in one step: the rows are rebuilt on every change, so
    # an element found a moment ago may be gone.
    return d.execute_script(
        "const e = document.querySelector(arguments[0]);"
        "return e ? e.innerText.trim() : null;", css)


def alert_open(d):
    try:
        d.switch_to.alert
        return True
    except NoAlertPresentException:
        return False


def console_errors(d):
    return [e["message"] for e in d.get_log("browser")
            if e["level"] == "SEVERE"]


def login(d, base, page, token):
    d.get(base + page)
    inp = wait(d, lambda d: d.find_element(By.ID, "token"))
    inp.clear()
    inp.send_keys(token)
    d.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()


def shot(d, args, name, doc=True):
    path = os.path.join(args.out, name)
    d.save_screenshot(path)
    if args.doc and doc:
        d.save_screenshot(os.path.join(args.doc, name))
    diag(f"screenshot {path}")


def api(base, token, path, body=None):
    req = urllib.request.Request(base + "/api/v1" + path, method="POST"
                                 if body is not None else "GET",
                                 data=json.dumps(body).encode()
                                 if body is not None else None,
                                 headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def main():
    p = argparse.ArgumentParser()
    for a in ("base", "noc", "cs", "gateway", "db", "sim", "out", "phone",
              "hostile"):
        p.add_argument("--" + a, required=True)
    p.add_argument("--doc")
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--sms", action="store_true")
    args = p.parse_args()
    global N
    N = args.first
    os.makedirs(args.out, exist_ok=True)
    d = browser(1920, 1080)
    try:
        run(d, args)
    finally:
        d.quit()


def run(d, args):
    base = args.base
    # 1. The sign-in: a gateway token is refused on the page and not kept.
    login(d, base, "/", args.gateway)
    msg = wait(d, lambda d: text_of(d, "#login-msg") or None)
    tap(msg is not None and "gateway" in msg and
        d.execute_script("return sessionStorage.getItem('herald.token')")
        is None, "a gateway token is refused on the board, clearly, and "
        "not kept", msg)
    login(d, base, "/", args.noc)
    who = wait(d, lambda d: text_of(d, "#whoami"))
    tap(who is not None and "li.na" in who and "noc" in who,
        "the NOC token signs in; the page names li.na and the role", who)
    tap(args.noc not in d.current_url and
        d.execute_script("return sessionStorage.getItem('herald.token')")
        == args.noc, "the token is in sessionStorage, never in the URL",
        d.current_url)
    live = wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "#live.on"))
    tap(bool(live), "the board's stream is live")
    wait(d, lambda d: text_of(d, "#incidents tbody tr.empty"))
    tap(text_of(d, "#incidents tbody") == "当前没有活动故障。",
        "no incident yet, said in Chinese", text_of(d, "#incidents tbody"))

    # 2. A fibre cut appears on the open board without a reload.
    d.execute_script("window.__noReload = 1")
    t0 = time.time()
    subprocess.run(args.sim.split() + ["cut", "olt1", "0/1/0"],
                   capture_output=True)
    row = wait(d, lambda d: d.find_elements(
        By.CSS_SELECTOR, "#incidents tbody tr[data-uid]"), 30)
    t_seen = time.time()
    seen_ms = (t_seen - t0) * 1000
    tap(bool(row), f"the cut's incident appears on the open board "
        f"({seen_ms:.0f} ms after the cut)")
    opened = psql(args.db, "SELECT extract(epoch FROM min(opened_at)) FROM "
                  "incidents")
    if opened:
        diag(f"board: the incident was visible {seen_ms:.0f} ms after the "
             f"cut, {(t_seen - float(opened)) * 1000:.0f} ms after heraldd "
             f"opened it")
    tap(d.execute_script("return window.__noReload") == 1,
        "  without a reload of the page")
    ok = wait(d, lambda d: (text_of(
        d, "#incidents tbody tr[data-uid] td.accounts") == "8" and
        "已确认" in text_of(d, "#incidents tbody tr[data-uid]") and
        "新建" in text_of(d, "#incidents tbody tr[data-uid] td.ticket")), 30)
    tap(bool(ok), "  confirmed, with its 8 accounts, cause in words and its "
        "new ticket", text_of(d, "#incidents tbody tr[data-uid]"))
    inc = psql(args.db, "SELECT id FROM incidents WHERE state = 'confirmed'")
    tkt = psql(args.db, "SELECT id FROM tickets WHERE kind = 'outage'")
    row_text = text_of(d, "#incidents tbody tr[data-uid]")
    tap("光纤中断" in row_text and "olt1 0/1/0" in row_text,
        "  scope and cause read olt1 0/1/0, 光纤中断", row_text)
    counters = wait(d, lambda d: text_of(
        d, '#summary [data-key="accounts"] .value') == "8")
    tap(bool(counters), "the counters say 8 accounts affected",
        text_of(d, "#summary"))

    # A change made elsewhere (the crew assigned through the API) shows
    # without a reload: the ticket is fetched again on the change event.
    t1 = time.time()
    api(base, args.noc, f"/tickets/{tkt}/assign", 
        {"assignee": "wang.qiang", "team": "field-3"})
    ok = wait(d, lambda d: "wang.qiang" in (text_of(
        d, "#incidents tbody tr[data-uid] td.ticket") or ""), 5, 0.01)
    push_ms = (time.time() - t1) * 1000
    diag(f"board: a ticket change through the API was visible after "
         f"{push_ms:.0f} ms")
    tap(bool(ok) and push_ms <= 1000, f"a ticket change made through the "
        f"API shows on the board within 1 s ({push_ms:.0f} ms)")
    wait(d, lambda d: "8" in (text_of(
        d, "#incidents tbody tr[data-uid] td.notices") or "") or
        not args.sms, 20)
    wait(d, lambda d: False, 1)
    shot(d, args, "board-first.png", False)

    # 3. The incident page: hostile text shown as text, the ticket worked.
    d.execute_script("document.querySelector("
                     "'#incidents tbody tr[data-uid] td.num a').click()")
    wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "#tk-state"))
    wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "#acc-table"))
    addrs = d.execute_script(
        "return [...document.querySelectorAll('#acc-table td.address')]"
        ".map((e) => e.textContent)")
    tap(args.hostile in addrs and not alert_open(d) and
        not d.find_elements(By.CSS_SELECTOR, "#acc-table script"),
        "an address <script>alert(1)</script> is shown as text, no alert, "
        "no script element", addrs)
    onus = d.find_elements(By.CSS_SELECTOR, "#topology .onu.affected")
    tap(len(onus) >= 8, f"the topology marks the 8 affected ONUs "
        f"({len(onus)} marked incl. the legend)")
    tap(bool(d.find_elements(By.CSS_SELECTOR, "#alarms ol.timeline li")),
        "the alarm timeline lists the evidence")
    d.find_element(By.ID, "tk-note").send_keys("crew on the way")
    d.find_element(By.ID, "tk-acknowledged").click()
    ok = wait(d, lambda d: text_of(d, "#tk-state") == "已受理")
    state = psql(args.db, f"SELECT state FROM tickets WHERE id = {tkt}")
    tap(bool(ok) and state == "acknowledged",
        "acknowledged from the incident page: the ticket is acknowledged "
        "in PostgreSQL", state)
    hist = psql(args.db, f"SELECT actor || '/' || coalesce(note, '') FROM "
                f"ticket_history WHERE ticket_id = {tkt} ORDER BY id DESC "
                f"LIMIT 1")
    tap(hist == "li.na/crew on the way", "  by li.na with the note typed",
        hist)
    wait(d, lambda d: False, 0.5)
    shot(d, args, "incident.png")

    # 4. Customer service.
    d.find_element(By.ID, "logout").click()
    login(d, base, "/cs.html", args.cs)
    box = wait(d, lambda d: d.find_element(By.ID, "q"))
    box.send_keys(args.phone)
    d.find_element(By.ID, "go").click()
    verdict = wait(d, lambda d: text_of(d, "#verdict"))
    tap(verdict is not None and verdict.startswith("正在故障中"),
        "customer service looks the phone up: in an outage", verdict)
    tap(text_of(d, "#cause") == "光纤中断" and
        text_of(d, "#cs-ticket").startswith(f"#{tkt}"),
        "  the cause in words and the ticket",
        f"{text_of(d, '#cause')} {text_of(d, '#cs-ticket')}")
    if args.sms:
        ok = wait(d, lambda d: "光纤中断" in (text_of(
            d, "#cs-messages li[data-kind=outage] blockquote") or ""), 30)
        tap(bool(ok) and text_of(
            d, "#cs-messages li[data-kind=outage] .n-delivered") == "已送达",
            "  the outage text sent to the subscriber, delivered",
            text_of(d, "#cs-messages"))
    d.find_element(By.ID, "cp-content").send_keys("宽带无法上网，光猫LOS灯红")
    d.find_element(By.ID, "cp-submit").click()
    linked = wait(d, lambda d: text_of(d, "#cp-linked"))
    db_inc = psql(args.db, "SELECT incident_id FROM complaints")
    tap(linked == f"关联故障 #{inc}" and db_inc == inc,
        "a complaint registered from the page is linked to the incident "
        "(page and PostgreSQL)", f"{linked} / {db_inc}")
    pre = psql(args.db, "SELECT pre_notified FROM complaints")
    tap(text_of(d, "#cp-pre") == ("已预先通知" if pre == "t"
                                  else "未预先通知"),
        "  pre-notified as PostgreSQL says", f"{text_of(d, '#cp-pre')} {pre}")
    wait(d, lambda d: False, 0.5)
    shot(d, args, "cs.png")

    # 5. English, and nothing went wrong in the console.
    d.find_element(By.ID, "lang").click()
    ok = wait(d, lambda d: text_of(d, "#top h1") ==
              "Customer service lookup")
    tap(bool(ok), "the English switch", text_of(d, "#top h1"))
    d.find_element(By.ID, "lang").click()
    wait(d, lambda d: text_of(d, "#top h1") == "客服查询")

    # 6. Maintenance from the board: a window on olt2's port 0/1/0 makes
    # its cut a planned incident; removed again from the board.
    d.find_element(By.ID, "logout").click()
    login(d, base, "/", args.noc)
    wait(d, lambda d: d.find_elements(By.ID, "mw-form"))
    for k, v in (("device", "olt2"), ("frame", "0"), ("slot", "1"),
                 ("port", "0"), ("reason", "更换分光器 / splitter swap")):
        d.find_element(By.ID, "mw-" + k).send_keys(v)
    d.find_element(By.CSS_SELECTOR, "#mw-form button[type=submit]").click()
    ok = wait(d, lambda d: text_of(d, "#mw-list tr[data-id]"))
    tap(bool(ok) and "olt2 0/1/0" in ok and psql(
        args.db, "SELECT count(*) FROM maintenance_windows WHERE port = 0")
        == "1", "a maintenance window added from the board is listed and "
        "stored", ok)
    wait(d, lambda d: False, 1)
    subprocess.run(args.sim.split() + ["cut", "olt2", "0/1/0"],
                   capture_output=True)
    ok = wait(d, lambda d: text_of(d, "#incidents tbody tr.s-planned"), 30)
    tap(bool(ok) and "计划内" in ok and "olt2 0/1/0" in ok,
        "  a cut under it shows as planned",
        ok)
    wait(d, lambda d: len(d.find_elements(
        By.CSS_SELECTOR, "#incidents tbody tr[data-uid]")) == 2 and
        "8" == text_of(d, "#incidents tbody tr.s-planned td.accounts"), 20)
    wait(d, lambda d: False, 1.5)
    shot(d, args, "board.png")
    viewport(d, 1366, 768)
    wait(d, lambda d: False, 0.5)
    shot(d, args, "board-laptop.png", False)
    viewport(d, 1920, 1080)
    d.execute_script("document.querySelector("
                     "'#mw-list tr[data-id] button').click()")
    ok = wait(d, lambda d: not d.find_elements(
        By.CSS_SELECTOR, "#mw-list tr[data-id]"))
    tap(bool(ok) and psql(args.db, "SELECT count(*) FROM "
                          "maintenance_windows") == "0",
        "  and removed from the board")

    # A page left with its stream open logs the stream cut short.
    errs = [e for e in console_errors(d) if "favicon" not in e and
            "401" not in e and "404" not in e and not
            ("/api/v1/stream" in e and "INCOMPLETE_CHUNKED" in e)]
    tap(not errs, "no error in the browser's console (no CSP violation)",
        "\n".join(errs))


if __name__ == "__main__":
    sys.exit(main())
