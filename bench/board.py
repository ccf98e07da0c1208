#!/usr/bin/env python3
"""board.py: bench/board's browser side. Headless Chromium loads the NOC
board LOADS times and reads when the incident rows were first drawn (the
page marks it: <html data-first-render>, performance.now() since the
navigation started); then, with the board open, CHANGES ticket steps are
made through the API, one at a time, and a MutationObserver in the page
stamps the moment each shows in its row. Both stamps are the same
machine's wall clock, so the delay is end to end."""
import argparse
import json
import statistics
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

WATCH = """
window.__seen = {};
window.__want = {};
const body = document.querySelector('#incidents tbody');
new MutationObserver(() => {
    for (const id of Object.keys(window.__want)) {
        const td = body.querySelector('tr[data-id="' + id + '"] td.ticket');
        if (td && td.textContent.includes(window.__want[id])) {
            window.__seen[id] = Date.now();
            delete window.__want[id];
        }
    }
}).observe(body, {childList: true, subtree: true, characterData: true});
"""


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
              "--disable-gpu", "--window-size=1920,1080"):
        o.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                            options=o)


def post(base, token, path, body):
    req = urllib.request.Request(base + "/api/v1" + path, method="POST",
                                 data=json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def get(base, token, path):
    req = urllib.request.Request(base + "/api/v1" + path,
                                 headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def rows(d):
    return d.execute_script(
        "return document.querySelectorAll('#incidents tbody tr[data-id]')"
        ".length")


def load(d, base, n):
    d.get(base + "/")
    t_end = time.time() + 30
    while time.time() < t_end:
        r = d.execute_script(
            "return [document.documentElement.dataset.firstRender || null,"
            "document.querySelectorAll('#incidents tbody tr[data-id]')"
            ".length]")
        if r[0] is not None and r[1] >= n:
            return float(r[0])
        time.sleep(0.01)
    raise SystemExit(f"the board did not show {n} rows")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--incidents", type=int, default=500)
    p.add_argument("--changes", type=int, default=100)
    p.add_argument("--loads", type=int, default=5)
    a = p.parse_args()
    d = browser()
    try:
        d.get(a.base + "/app/style.css")
        d.execute_script("sessionStorage.setItem('herald.token', "
                         "arguments[0])", a.token)
        loads = [load(d, a.base, a.incidents) for _ in range(a.loads)]
        print("load_ms: " + " ".join(f"{x:.0f}" for x in loads), flush=True)
        # The stream must be up before the changes start.
        t_end = time.time() + 10
        while time.time() < t_end and not d.execute_script(
                "return !!document.querySelector('#live.on')"):
            time.sleep(0.05)
        d.execute_script(WATCH)
        inc = get(a.base, a.token, "/incidents?state=open&limit=1000")
        tickets = [(i["id"], i["ticket"]["id"]) for i in inc["items"]
                   if i.get("ticket")][:a.changes]
        delays = []
        for n, (iid, tid) in enumerate(tickets):
            d.execute_script("window.__want[arguments[0]] = '已受理'", iid)
            t0 = time.time()
            post(a.base, a.token, f"/tickets/{tid}/transition",
                 {"to": "acknowledged", "note": f"bench {n}"})
            seen = None
            t_end = t0 + 10
            while time.time() < t_end:
                seen = d.execute_script("return window.__seen[arguments[0]]"
                                        " || null", iid)
                if seen:
                    break
                time.sleep(0.005)
            delays.append(seen / 1000.0 - t0 if seen else 10.0)
            # Apart by more than heraldd's 250 ms gathering, so each change
            # is its own event (the worst case, not a batch).
            time.sleep(0.3)
        ms = sorted(x * 1000 for x in delays)
        print(f"push_ms: min {ms[0]:.0f} median {statistics.median(ms):.0f}"
              f" p90 {ms[int(len(ms) * 0.9) - 1]:.0f} worst {ms[-1]:.0f}"
              f" ({len(ms)} changes, {sum(x >= 10000 for x in ms)} not seen)")
        print(f"load_ms: median {statistics.median(loads):.0f} worst "
              f"{max(loads):.0f}")
        print(f"result: incidents={rows(d)}"
              f" load_ms={statistics.median(loads):.0f}"
              f" push_median_ms={statistics.median(ms):.0f}"
              f" push_worst_ms={ms[-1]:.0f}", flush=True)
    finally:
        d.quit()


if __name__ == "__main__":
    main()
