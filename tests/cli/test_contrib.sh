#!/usr/bin/env bash
# contrib/: the Kubernetes manifests parse as YAML (every document with
# apiVersion, kind and a name) and agree with the systemd unit (the same
# command line and capabilities) and with themselves (the exporter's port
# in naclemu.yaml, the container port, the probe and the Prometheus
# annotation; the ConfigMap mounted where the command line reads it); the
# ConfigMap's rule files pass `naclemu check`; the Containerfile installs
# the package and runs the unit's command line.  Syntax and consistency
# only: no cluster and no container engine run here (docs/fleet.md).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
N=$NACLEMU
command -v python3 >/dev/null || skip "python3 is not installed (make deps-test)"
python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed (make deps-test)"
[ -x "$N" ] || skip "$N is not built (make)"
tmp=$(mktemp -d /tmp/naclemu-contrib.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

# The Python part prints one "CHECK" line per check and "FAIL: ..." per
# failure, and writes the ConfigMap's rule files to $tmp.
report=$(python3 - "$tmp" <<'PY'
import glob, os, re, shlex, sys, yaml

tmp = sys.argv[1]

def check(ok, msg):
    print("CHECK")
    if not ok:
        print("FAIL: " + msg)
    return ok

unit = {}
for line in open("contrib/systemd/naclemu.service"):
    m = re.match(r"^([A-Za-z]+)=(.*)$", line.strip())
    if m:
        unit.setdefault(m.group(1), []).append(m.group(2))
unit_cmd = shlex.split(unit["ExecStart"][0])
unit_caps = sorted(c[len("CAP_"):] for c in unit["CapabilityBoundingSet"][0].split())
check(sorted(c[len("CAP_"):] for c in unit["AmbientCapabilities"][0].split()) == unit_caps,
      "the unit's AmbientCapabilities differ from its CapabilityBoundingSet")

docs = []
files = sorted(glob.glob("contrib/kubernetes/*.yaml"))
check(len(files) >= 2, "contrib/kubernetes/ holds %d YAML files" % len(files))
for f in files:
    try:
        loaded = [d for d in yaml.safe_load_all(open(f)) if d is not None]
    except yaml.YAMLError as e:
        check(False, "%s: %s" % (f, str(e).replace("\n", " ")))
        continue
    check(bool(loaded), "%s: no document" % f)
    for d in loaded:
        ok = isinstance(d, dict) and all(k in d for k in ("apiVersion", "kind", "metadata")) \
            and "name" in d["metadata"]
        if check(ok, "%s: a document without apiVersion, kind or metadata.name" % f):
            docs.append((f, d))

def one(kind):
    found = [d for f, d in docs if d["kind"] == kind]
    check(len(found) == 1, "%d %s objects, want 1" % (len(found), kind))
    return found[0] if found else None

ds, cm, ns = one("DaemonSet"), one("ConfigMap"), one("Namespace")
if ds and cm and ns:
    spec = ds["spec"]["template"]["spec"]
    ann = ds["spec"]["template"]["metadata"].get("annotations", {})
    check(ds["metadata"]["namespace"] == cm["metadata"]["namespace"] == ns["metadata"]["name"],
          "the DaemonSet, the ConfigMap and the Namespace disagree on the namespace")
    check(ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items(),
          "the DaemonSet's selector does not match its pods' labels")
    check(spec.get("hostNetwork") is True, "hostNetwork is not true")
    check(spec.get("hostPID") is True, "hostPID is not true")
    c = spec["containers"][0]
    sc = c["securityContext"]
    check(sc.get("privileged") is False, "the container is privileged")
    check(sc["capabilities"]["drop"] == ["ALL"], "capabilities are not dropped first")
    check(sorted(sc["capabilities"]["add"]) == unit_caps,
          "capabilities %s, the unit's are %s" % (sorted(sc["capabilities"]["add"]), unit_caps))
    check(["/usr/sbin/naclemu"] + c["args"] == unit_cmd,
          "the container runs %s, the unit %s" % (c["args"], unit_cmd))
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    vols = {v["name"]: v for v in spec["volumes"]}
    for path in ("/sys/fs/bpf", "/run/netns", "/run/naclemu"):
        m = mounts.get(path)
        if check(m is not None, "no volume mounted at " + path):
            v = vols.get(m["name"], {})
            check(v.get("hostPath", {}).get("path") == path, "%s is not the node's %s" % (path, path))
    check(mounts.get("/run/netns", {}).get("mountPropagation") == "HostToContainer",
          "/run/netns does not see namespaces created later (mountPropagation)")
    cfgdir = os.path.dirname(unit_cmd[-1])
    m = mounts.get(cfgdir)
    if check(m is not None, "nothing mounted at " + cfgdir):
        check(vols[m["name"]].get("configMap", {}).get("name") == cm["metadata"]["name"],
              cfgdir + " is not the ConfigMap")
    # The ConfigMap: the configuration, and the rule files it names.
    cfgname = os.path.basename(unit_cmd[-1])
    data = cm.get("data", {})
    if check(cfgname in data, "the ConfigMap has no " + cfgname):
        cfg = yaml.safe_load(data[cfgname])
        check(isinstance(cfg, dict), cfgname + " in the ConfigMap is no mapping")
        rules = [e["rules"] for e in cfg.get("nacls", []) if "rules" in e]
        check(bool(rules), cfgname + " names no rule file")
        for r in rules:
            if check(r in data, "%s names %s, which the ConfigMap lacks" % (cfgname, r)):
                with open(os.path.join(tmp, r), "w") as out:
                    out.write(data[r])
        port = int(str(cfg["exporter"]["listen"]).rsplit(":", 1)[1])
        cport = [p["containerPort"] for p in c["ports"] if p["name"] == "metrics"]
        check(cport == [port], "containerPort %s, the exporter listens on %d" % (cport, port))
        check(ann.get("prometheus.io/scrape") == "true", "no prometheus.io/scrape annotation")
        check(ann.get("prometheus.io/port") == str(port),
              "prometheus.io/port %s, the exporter listens on %d" % (ann.get("prometheus.io/port"), port))
        check(c["livenessProbe"]["httpGet"]["port"] == port and
              c["livenessProbe"]["httpGet"]["path"] == ann.get("prometheus.io/path") == "/metrics",
              "the probe or prometheus.io/path is not the exporter's /metrics")

# The Containerfile: Debian, the package, the unit's command line.
cf = [l.strip() for l in open("contrib/container/Containerfile") if l.strip() and not l.startswith("#")]
check(cf and re.match(r"FROM debian:", cf[0]), "the Containerfile does not start FROM debian")
check(any("apt-get install" in l and "naclemu_" in l and ".deb" in l for l in cf) or
      any(l.startswith("&& apt-get install") and ".deb" in l for l in cf),
      "the Containerfile does not install naclemu's package")
ep = [l for l in cf if l.startswith("ENTRYPOINT")]
cmd = [l for l in cf if l.startswith("CMD")]
if check(len(ep) == 1 and len(cmd) == 1, "the Containerfile needs one ENTRYPOINT and one CMD"):
    import json
    check(json.loads(ep[0][len("ENTRYPOINT"):]) + json.loads(cmd[0][len("CMD"):]) == unit_cmd,
          "the Containerfile runs another command line than the unit")

# The example configuration, once the tree has one.
if os.path.exists("contrib/naclemu.yaml"):
    try:
        check(isinstance(yaml.safe_load(open("contrib/naclemu.yaml")), dict),
              "contrib/naclemu.yaml is no mapping")
    except yaml.YAMLError as e:
        check(False, "contrib/naclemu.yaml: %s" % str(e).replace("\n", " "))
PY
)
_checks=$((_checks + $(grep -c '^CHECK' <<<"$report")))
while IFS= read -r line; do
	fail "${line#FAIL: }"
done < <(grep '^FAIL: ' <<<"$report")
grep -vE '^(CHECK|FAIL: )' <<<"$report"

# The rule files of the ConfigMap are valid.
n=0
for f in "$tmp"/*; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	expect_exit 0 "$N" check "$f"
done
expect_eq "$([ "$n" -gt 0 ] && echo yes)" yes "rule files of the ConfigMap checked"

finish
