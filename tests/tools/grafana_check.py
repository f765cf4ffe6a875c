#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check a Grafana dashboard's queries against what an exporter emits.

    grafana_check.py DASHBOARD.json METRICS.prom
    grafana_check.py DASHBOARD.json METRICS.prom --prometheus URL --var NAME=VALUE...

METRICS.prom is a scrape in the Prometheus text format (what `naclemu
metrics` prints).  Every PromQL expression of the dashboard (the panels'
targets[].expr, rows' nested panels included, and the label_values() of the
query variables) is read, and each problem is printed on one line:

  - a metric name the scrape does not emit (series names, and the names
    that the # TYPE families imply: _total of a counter, _bucket, _sum and
    _count of a histogram or summary);
  - a label in a {...} selector, a by/without/on/ignoring list or a
    label_values() that the metric does not carry (job and instance are
    allowed: Prometheus adds them to every scrape);
  - a legendFormat {{label}} that no metric of its query carries, or that
    the query's outer `AGG by (...)` drops;
  - a $variable that is neither a dashboard variable nor a Grafana one.

With --prometheus, every expression is also run on that Prometheus (the
variables replaced by the --var values, $__rate_interval by
--rate-interval) and must return at least one series, and every
label_values() must list the --var value of its label.

Exit status: 0 no problem, 1 problems, 2 unreadable input.
"""
import argparse
import json
import re
import sys
import urllib.parse
import urllib.request

TARGET_LABELS = {"job", "instance"}
GRAFANA_VARS = {"__rate_interval", "__interval", "__interval_ms", "__range", "__range_s",
                "__range_ms", "__from", "__to", "__dashboard", "__org", "__user", "__all"}
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
                "count_values", "bottomk", "topk", "quantile"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"}
LABEL_LISTS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
# Series names a family of each type has (text format 0.0.4 and OpenMetrics).
SUFFIXES = {
    "counter": ["", "_total", "_created"],
    "gauge": [""],
    "untyped": [""],
    "unknown": [""],
    "info": ["_info"],
    "stateset": [""],
    "histogram": ["_bucket", "_sum", "_count", "_created"],
    "gaugehistogram": ["_bucket", "_gsum", "_gcount"],
    "summary": ["", "_sum", "_count", "_created"],
}
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"')

problems = []


def problem(where, msg):
    problems.append(f"{where}: {msg}")


# ---- what the exporter emits ------------------------------------------------

def read_scrape(path):
    """{series name: set of label names} of the scrape, and {family: type}."""
    families, series = {}, {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            m = re.match(rf"# (HELP|TYPE) ({NAME})(?: (.*))?$", line)
            if m:
                kind, name, rest = m.groups()
                if kind == "TYPE":
                    families[name] = (rest or "untyped").strip()
                else:
                    families.setdefault(name, "untyped")
                continue
            if line.startswith("#"):
                continue
            m = re.match(rf"({NAME})(?:\{{(.*)\}})? \S+( \S+)?$", line)
            if not m:
                problem(f"{path}:{n}", f"not a sample line: {line!r}")
                continue
            series.setdefault(m.group(1), set()).update(LABEL_PAIR.findall(m.group(2) or ""))
    return families, series


def family_of(name, families):
    for fam, typ in families.items():
        for suf in SUFFIXES.get(typ, [""]):
            if name == fam + suf:
                return fam
    return None


def emitted_names(families, series, where):
    """{queryable name: label names, or None when no series shows them}."""
    names = {}
    for name, labels in series.items():
        if family_of(name, families) is None:
            problem(where, f"series {name} belongs to no # TYPE or # HELP family")
        names[name] = set(labels)
    for fam, typ in families.items():
        for suf in SUFFIXES.get(typ, [""]):
            if fam + suf in names:
                continue
            # A counter's name in 0.0.4 already ends in _total; "_total" again,
            # and _created, are only OpenMetrics' when the family lacks it.
            if suf == "_created" or (suf == "_total" and fam.endswith("_total")):
                continue
            if suf == "" and typ == "counter" and not fam.endswith("_total") and fam + "_total" in names:
                continue
            names.setdefault(fam + suf, None)
    for name in list(names):
        fam = family_of(name, families)
        if names[name] is not None and fam and families[fam] in ("histogram", "gaugehistogram") \
                and name.endswith("_bucket"):
            names[name].add("le")
    return names


# ---- PromQL, as far as the checks need it -----------------------------------

TOKEN = re.compile(r'''
   (?P<ws>\s+)
 | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
 | (?P<var>\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[^\]]*\]\])
 | (?P<num>[0-9][0-9A-Za-z_.]*)
 | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
 | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=,(){}\[\]@])
''', re.X)


def tokenize(expr, where):
    toks, pos = [], 0
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            problem(where, f"cannot read the query at {expr[pos:pos + 20]!r}")
            return []
        if m.lastgroup != "ws":
            toks.append((m.lastgroup, m.group()))
        pos = m.end()
    return toks


def match_close(toks, i):
    """Index of the token closing the bracket at toks[i]."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    want, depth = pairs[toks[i][1]], 0
    for j in range(i, len(toks)):
        if toks[j][1] == toks[i][1]:
            depth += 1
        elif toks[j][1] == want:
            depth -= 1
            if depth == 0:
                return j
    return len(toks) - 1


def match_open(toks, j):
    depth = 0
    for i in range(j, -1, -1):
        if toks[i][1] == ")":
            depth += 1
        elif toks[i][1] == "(":
            depth -= 1
            if depth == 0:
                return i
    return 0


def variables(text):
    out = set()
    for m in re.finditer(r"\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)|\[\[([A-Za-z_][A-Za-z0-9_]*)", text):
        out.add(next(g for g in m.groups() if g))
    return out


class Query:
    """The selectors and label lists of one PromQL expression."""

    def __init__(self, expr, where):
        self.where = where
        self.selectors = []   # (token index, metric name, [label names])
        self.lists = []       # (keyword, [labels], (first, last) token range in scope)
        self.toks = toks = tokenize(expr, where)
        i = 0
        while i < len(toks):
            kind, text = toks[i]
            nxt = toks[i + 1][1] if i + 1 < len(toks) else None
            if text == "[":
                i = match_close(toks, i) + 1
                continue
            if text == "{":
                i = self.selector(i, None)
                continue
            if kind != "ident":
                i += 1
                continue
            if text in LABEL_LISTS and nxt == "(":
                end = match_close(toks, i + 1)
                labels = [t for k, t in toks[i + 2:end] if k == "ident"]
                self.lists.append((text, labels, self.scope(text, i, end)))
                i = end + 1
            elif nxt in ("(", "by", "without") or text in KEYWORDS or text in LABEL_LISTS:
                i += 1
            elif nxt == "{":
                i = self.selector(i + 1, text)
            else:
                self.selectors.append((i, text, []))
                i += 1

    def selector(self, i, name):
        end = match_close(self.toks, i)
        inner = self.toks[i + 1:end]
        labels = []
        for k in range(len(inner)):
            if inner[k][0] == "ident" and k + 1 < len(inner) and inner[k + 1][1] in ("=", "!=", "=~", "!~"):
                labels.append(inner[k][1])
                if inner[k][1] == "__name__" and inner[k + 2][0] == "str":
                    name = inner[k + 2][1][1:-1]
        if name is None:
            problem(self.where, "a selector without a metric name")
        else:
            self.selectors.append((i, name, [l for l in labels if l != "__name__"]))
        return end + 1

    def scope(self, keyword, i, end):
        """Token range whose metrics a label list speaks of."""
        toks = self.toks
        if keyword in ("by", "without"):
            if end + 1 < len(toks) and toks[end + 1][1] == "(":      # sum by (l) (x)
                return (end + 1, match_close(toks, end + 1))
            if i > 0 and toks[i - 1][1] == ")":                       # sum (x) by (l)
                return (match_open(toks, i - 1), i - 1)
        return (0, len(toks))

    def metrics(self, lo=0, hi=None):
        hi = len(self.toks) if hi is None else hi
        return [name for i, name, _ in self.selectors if lo <= i <= hi]

    def outer_by(self):
        """The labels an outer `AGG by (...)` keeps, or None."""
        toks = self.toks
        if len(toks) < 3 or toks[0][0] != "ident" or toks[0][1] not in AGGREGATIONS:
            return None
        if toks[1][1] == "by":
            return [t for k, t in toks[3:match_close(toks, 2)] if k == "ident"]
        if toks[1][1] == "(":
            end = match_close(toks, 1)
            if end + 2 < len(toks) and toks[end + 1][1] == "by":
                return [t for k, t in toks[end + 3:match_close(toks, end + 2)] if k == "ident"]
        return None


# ---- the dashboard ----------------------------------------------------------

def all_panels(dash):
    for p in dash.get("panels", []):
        yield p
        for q in p.get("panels", []) or []:   # a collapsed row's panels
            yield q


def has_label(names, metric, label):
    labels = names.get(metric)
    return label in TARGET_LABELS or (labels is not None and label in labels)


def check_metric(names, metric, where):
    if metric not in names:
        hint = " (not a naclemu metric)" if not metric.startswith("naclemu_") else ""
        problem(where, f"metric {metric} is not emitted{hint}")
        return False
    if names[metric] is None:
        problem(where, f"metric {metric} has no series in the scrape: its labels cannot be checked")
        return False
    return True


def check_query(q, names, legend=None):
    ok = {m for m in q.metrics() if check_metric(names, m, q.where)}
    for _, metric, labels in q.selectors:
        for label in labels:
            if metric in ok and not has_label(names, metric, label):
                problem(q.where, f"metric {metric} has no label {label} (in {{...}})")
    for keyword, labels, (lo, hi) in q.lists:
        scope = [m for m in q.metrics(lo, hi) if m in ok]
        for label in labels:
            if keyword.startswith("group_"):
                if scope and not any(has_label(names, m, label) for m in scope):
                    problem(q.where, f"no metric of {keyword}() has label {label}")
                continue
            for m in scope:
                if not has_label(names, m, label):
                    problem(q.where, f"metric {m} has no label {label} (in {keyword} (...))")
    if legend:
        kept = q.outer_by()
        for label in re.findall(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", legend):
            if ok and not any(has_label(names, m, label) for m in ok):
                problem(q.where, f"legend {{{{{label}}}}}: no metric of the query has label {label}")
            if kept is not None and label not in kept:
                problem(q.where, f"legend {{{{{label}}}}}: the outer by ({', '.join(kept)}) drops it")


def label_values_query(text, where):
    """(selector, label) of label_values(SELECTOR, LABEL), or None."""
    m = re.fullmatch(r"\s*label_values\((.*?)(?:,\s*([A-Za-z_][A-Za-z0-9_]*))?\s*\)\s*", text, re.S)
    if not m:
        return None
    if m.group(2) is None:
        return None, m.group(1).strip()
    return m.group(1).strip(), m.group(2)


def check_dashboard(dash, names, live):
    defined = {v.get("name") for v in dash.get("templating", {}).get("list", [])}
    texts = []   # (where, text) searched for $variables
    exprs = []   # (where, expr) run by --prometheus
    ids = {}
    for p in all_panels(dash):
        where = f"panel {p.get('id')} \"{p.get('title', '')}\""
        if p.get("id") in ids:
            problem(where, f"id {p.get('id')} is used twice")
        ids[p.get("id")] = True
        texts += [(where, p.get("title", "")), (where, p.get("description", "")),
                  (where, json.dumps(p.get("datasource")))]
        for t in p.get("targets", []) or []:
            expr = t.get("expr")
            tw = f"{where} target {t.get('refId')}"
            if not expr:
                problem(tw, "no expr")
                continue
            texts += [(tw, expr), (tw, t.get("legendFormat", "") or ""),
                      (tw, json.dumps(t.get("datasource")))]
            check_query(Query(expr, tw), names, t.get("legendFormat"))
            exprs.append((tw, expr))
    lvs = []
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        where = f"variable {v.get('name')}"
        q = v.get("query")
        text = q.get("query", "") if isinstance(q, dict) else (q or "")
        for t in {text, v.get("definition", text)}:
            texts.append((where, t))
            lv = label_values_query(t, where)
            if lv is None:
                problem(where, f"not a label_values() query: {t!r}")
                continue
            sel, label = lv
            if sel is None:
                if not any(label in ls for ls in names.values() if ls) and label not in TARGET_LABELS:
                    problem(where, f"no metric has label {label}")
                continue
            query = Query(sel, where)
            check_query(query, names)
            for m in query.metrics():
                if m in names and names[m] is not None and not has_label(names, m, label):
                    problem(where, f"metric {m} has no label {label} (in label_values)")
            lvs.append((where, sel, label, v.get("name")))
    for where, text in texts:
        for var in variables(text) - defined - GRAFANA_VARS:
            problem(where, f"${var} is not a variable of the dashboard")
    if live:
        run_live(live, exprs, lvs)
    return len(exprs), len(lvs)


# ---- on a real Prometheus ---------------------------------------------------

def substitute(text, values, rate_interval):
    def one(m):
        name = next(g for g in m.groups() if g)
        if name in ("__rate_interval", "__interval", "__range"):
            return rate_interval
        if name not in values:
            return ".*"
        # Inside a PromQL string, as Grafana writes it: a regex escape
        # doubled (127\\.0\\.0\\.1).
        return re.escape(values[name]).replace("\\", "\\\\")
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)|\[\[([A-Za-z_][A-Za-z0-9_]*)\]\]",
                  one, text)


def api(base, path, params):
    url = f"{base}{path}?{urllib.parse.urlencode(params, doseq=True)}"
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        try:
            return json.load(e)
        except ValueError:
            return {"status": "error", "error": f"HTTP {e.code}"}
    except OSError as e:
        return {"status": "error", "error": str(e)}


def run_live(live, exprs, lvs):
    base, values, interval = live
    for where, expr in exprs:
        q = substitute(expr, values, interval)
        r = api(base, "/api/v1/query", {"query": q})
        if r.get("status") != "success":
            problem(where, f"Prometheus refuses {q!r}: {r.get('error')}")
        elif not r["data"]["result"]:
            problem(where, f"Prometheus returns no series for {q!r}")
    for where, sel, label, var in lvs:
        s = substitute(sel, values, interval)
        r = api(base, f"/api/v1/label/{label}/values", {"match[]": [s]})
        if r.get("status") != "success":
            problem(where, f"Prometheus refuses label_values({s}, {label}): {r.get('error')}")
        elif var in values and values[var] not in r["data"]:
            problem(where, f"label_values({s}, {label}) lacks {values[var]!r}: {r['data']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dashboard")
    ap.add_argument("scrape")
    ap.add_argument("--prometheus", metavar="URL")
    ap.add_argument("--var", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--rate-interval", default="1m")
    a = ap.parse_args()
    try:
        with open(a.dashboard, encoding="utf-8") as f:
            dash = json.load(f)
        families, series = read_scrape(a.scrape)
    except (OSError, ValueError) as e:
        print(f"grafana_check: {e}", file=sys.stderr)
        return 2
    names = emitted_names(families, series, a.scrape)
    live = None
    if a.prometheus:
        live = (a.prometheus.rstrip("/"), dict(v.split("=", 1) for v in a.var), a.rate_interval)
    nexpr, nvar = check_dashboard(dash, names, live)
    for p in problems:
        print(p)
    used = set()
    for p in all_panels(dash):
        for t in p.get("targets", []) or []:
            used.update(Query(t.get("expr", ""), "").metrics())
    unused = sorted(n for n in names if names[n] is not None and n not in used)
    print(f"{nexpr} queries and {nvar} variables checked against {len(names)} metric names"
          f"{' and ' + a.prometheus if a.prometheus else ''}: {len(problems)} problems"
          f"{'; not shown: ' + ', '.join(unused) if unused else ''}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
