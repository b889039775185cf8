#!/usr/bin/env python3
"""The checks of scripts/monitoring-check.sh that read JSON: the dashboard's structure, and every expression of the
dashboard and of the rules Prometheus loaded, asked of its HTTP API. Python's standard library only.

  monitoring-check.py dashboard FILE
      Fails unless Grafana can import FILE: uid, title, schemaVersion, templating, and panels each with an id, a
      gridPos, a one-sentence description, a Prometheus datasource and targets with a refId and an expression.
  monitoring-check.py queries FILE PROMETHEUS_URL RATE_INTERVAL
      Every target of Prometheus must be up; every rule must have been evaluated without error; each recording
      rule's series, each alert's expression with its comparison turned into `bool` (so that it has a value
      whether it fires or not), and each panel's expression (variables: all jobs and instances, $__rate_interval
      as given) must return at least one series with a finite value. Prints what each returned.
"""
import json
import math
import sys
import urllib.parse
import urllib.request

failures = []


def fail(message):
    failures.append(message)
    print(f"FAIL: {message}")


def check_dashboard(path):
    with open(path) as file:
        dashboard = json.load(file)
    for field, kind in (("uid", str), ("title", str), ("schemaVersion", int), ("panels", list)):
        if not isinstance(dashboard.get(field), kind) or not dashboard[field]:
            fail(f"dashboard: '{field}' missing or not a non-empty {kind.__name__}")
    variables = {v.get("name") for v in dashboard.get("templating", {}).get("list", [])}
    if not {"datasource", "job", "instance"} <= variables:
        fail(f"dashboard: variables datasource, job and instance expected, found {sorted(variables)}")
    ids = set()
    panels = 0
    for panel in dashboard.get("panels", []):
        title = panel.get("title", "?")
        if panel.get("id") in ids or not isinstance(panel.get("id"), int):
            fail(f"panel '{title}': id missing or not unique")
        ids.add(panel.get("id"))
        if not all(isinstance(panel.get("gridPos", {}).get(k), int) for k in ("h", "w", "x", "y")):
            fail(f"panel '{title}': gridPos needs h, w, x and y")
        if panel.get("type") == "row":
            continue
        panels += 1
        description = panel.get("description", "")
        if not description.endswith(".") or description.count(". ") > 0:
            fail(f"panel '{title}': the description should be one sentence: {description!r}")
        datasource = panel.get("datasource") or {}
        if datasource.get("type") != "prometheus" or not datasource.get("uid"):
            fail(f"panel '{title}': datasource should be a Prometheus one with a uid, is {datasource}")
        targets = panel.get("targets") or []
        if not targets:
            fail(f"panel '{title}': no targets")
        for target in targets:
            if not target.get("refId") or not target.get("expr"):
                fail(f"panel '{title}': a target without refId or expr: {target}")
    print(f"dashboard {dashboard.get('uid')!r}: {panels} panels, schemaVersion {dashboard.get('schemaVersion')}, "
          f"variables {sorted(variables)}")
    return dashboard


def query(base, expr):
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=10) as answer:
        body = json.load(answer)
    if body.get("status") != "success":
        raise RuntimeError(f"{expr}: {body}")
    result = body["data"]
    if result["resultType"] == "scalar":
        return [({}, float(result["result"][1]))]
    return [(series["metric"], float(series["value"][1])) for series in result["result"]]


def api(base, path):
    with urllib.request.urlopen(f"{base}{path}", timeout=10) as answer:
        return json.load(answer)["data"]


def describe(series):
    """The values returned, by instance where there is one."""
    shown = []
    for labels, value in series[:6]:
        who = labels.get("instance") or labels.get("result") or labels.get("__name__") or ""
        extra = ",".join(f"{k}={v}" for k, v in sorted(labels.items())
                         if k in ("uri", "status", "result") and who != v)
        who = f"{who}{'{' + extra + '}' if extra else ''}"
        shown.append(f"{who + ' ' if who else ''}{value:.6g}")
    if len(series) > 6:
        shown.append(f"... {len(series)} series")
    return "; ".join(shown)


def expect_finite(what, base, expr):
    try:
        series = query(base, expr)
    except Exception as error:  # a query Prometheus refuses is a failure like any other
        fail(f"{what}: {error}")
        return []
    finite = [(labels, value) for labels, value in series if math.isfinite(value)]
    if not finite:
        fail(f"{what}: no series with a finite value ({len(series)} series) for {expr}")
    else:
        print(f"  ok  {what}: {describe(finite)}"
              + (f" (and {len(series) - len(finite)} not finite)" if len(finite) < len(series) else ""))
    return finite


def top_level_comparison(expr):
    """Where the one comparison operator outside brackets and strings is, and its length."""
    depth, quote, found, i = 0, None, [], 0
    while i < len(expr):
        c = expr[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'`":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and expr[i:i + 2] in ("==", "!=", ">=", "<="):
            found.append((i, 2))
            i += 1
        elif depth == 0 and c in "<>":
            found.append((i, 1))
        i += 1
    return found


def check_queries(path, base, rate_interval):
    dashboard = check_dashboard(path)

    targets = api(base, "/api/v1/targets")["activeTargets"]
    for target in targets:
        state = f"{target['labels'].get('job')} {target['labels'].get('instance')}: {target['health']}"
        if target["health"] != "up":
            fail(f"target {state} {target.get('lastError', '')}")
        else:
            print(f"target {state}")
    if not targets:
        fail("Prometheus has no targets")

    print("rules:")
    rules = [rule for group in api(base, "/api/v1/rules")["groups"] for rule in group["rules"]]
    for rule in rules:
        name = rule.get("name")
        if rule.get("health") != "ok" or rule.get("lastError"):
            fail(f"rule {name}: health {rule.get('health')} {rule.get('lastError', '')}")
        if rule["type"] == "recording":
            expect_finite(f"record {name}", base, name)
            continue
        at = top_level_comparison(rule["query"])
        if len(at) != 1:
            fail(f"alert {name}: one comparison expected in {rule['query']}")
            continue
        (i, n), = at
        left, operator, right = rule["query"][:i].strip(), rule["query"][i:i + n], rule["query"][i + n:].strip()
        seen = expect_finite(f"alert {name} [{rule['state']}] {operator} bool", base, f"{left} {operator} bool {right}")
        if seen:
            expect_finite(f"      its left side, {left}", base, left)
    if not rules:
        fail("Prometheus loaded no rules")

    print("dashboard panels:")
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = (target["expr"].replace("$__rate_interval", rate_interval)
                    .replace("$job", ".+").replace("$instance", ".+"))
            legend = target.get("legendFormat", "")
            expect_finite(f"{panel['title']} [{target['refId']}: {legend}]", base, expr)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "dashboard":
        check_dashboard(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "queries":
        check_queries(sys.argv[2], sys.argv[3].rstrip("/"), sys.argv[4])
    else:
        sys.exit(__doc__)
    if failures:
        print(f"{len(failures)} failed check(s)", file=sys.stderr)
        sys.exit(1)
