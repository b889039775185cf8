#!/usr/bin/env bash
# Checks monitoring/ for real (docs/monitoring.md#the-check):
#  1. promtool: the rules (check rules), their unit tests (test rules, alerts.test.yml), the shipped prometheus.yml
#     (check config); the dashboard's JSON has what Grafana needs to import it;
#  2. the built jar runs as a local instance (a 1 MB budget, so that it evicts; values up to 2,048 characters, so
#     that sizes change while the segments evict; periodic snapshots, some of them made to fail) and as a cluster of
#     two members, all with a bearer token read from a file as compose.monitoring.yaml gives it;
#  3. a real Prometheus scrapes them every second with the shipped prometheus.yml (its token, its rule files; only
#     the intervals, the targets and the token's path changed) while wrk sends traffic that hits, misses, evicts,
#     expires and errs (scripts/monitoring-traffic.lua);
#  4. every expression of the dashboard and of the rules, asked of Prometheus' HTTP API, must return at least one
#     series with a finite value (scripts/monitoring-check.py), and the snapshot meters must show the failure and
#     the success after it.
# Prints what it saw; exits non-zero when anything fails. About 2 minutes, all on loopback; stops what it started.
#
#   scripts/monitoring-check.sh [--port 7271] [--cluster-port 5871] [--prometheus-port 9191] [--seconds 45]
#
# --port is the local instance's; the cluster members answer on the next two ports, and talk to each other on
# --cluster-port and the next one. Needs target/kv-cache.jar (./mvnw package). Installs Debian's prometheus (with
# promtool), wrk, curl and python3 when missing (root). Logs and Prometheus' data: target/monitoring-check/.
set -euo pipefail
cd "$(dirname "$0")/.."

port=7271 cluster_port=5871 prometheus_port=9191 seconds=45
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --cluster-port) cluster_port="$2"; shift 2 ;;
    --prometheus-port) prometheus_port="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    *) echo "usage: $0 [--port 7271] [--cluster-port 5871] [--prometheus-port 9191] [--seconds 45]" >&2; exit 2 ;;
  esac
done
member_ports=($((port + 1)) $((port + 2)))
cluster_ports=("$cluster_port" $((cluster_port + 1)))
started=$(date +%s)
say() { echo "monitoring-check [$(($(date +%s) - started)) s]: $*"; }
fail() { echo "monitoring-check: FAIL: $*" >&2; exit 1; }

# Tools. Debian's prometheus package would start its own service where one can: this check runs its own.
missing=()
command -v promtool >/dev/null && command -v prometheus >/dev/null || missing+=(prometheus)
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
command -v python3 >/dev/null || missing+=(python3)
if [[ ${#missing[@]} -gt 0 ]]; then
  say "installing ${missing[*]}"
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null \
      && systemctl is-active --quiet prometheus 2>/dev/null; then
    systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
fi
java_home="${KVCACHE_JAVA_HOME:-$(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null | head -n 1 || true)}"
java="${java_home:+$java_home/bin/}java"
[[ -f target/kv-cache.jar ]] || fail "no target/kv-cache.jar: build it first (./mvnw -B package -DskipTests)"
for p in "$port" "${member_ports[@]}" "$prometheus_port" "${cluster_ports[@]}"; do
  ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null \
    || fail "port $p is taken; pick others with --port, --cluster-port or --prometheus-port"
done

work="$PWD/target/monitoring-check"
rm -rf "$work" && mkdir -p "$work/secrets" "$work/prometheus" "$work/snapshots"

# 1. Static checks.
promtool check rules monitoring/prometheus/alerts.yml monitoring/prometheus/thresholds.yml
promtool test rules monitoring/prometheus/alerts.test.yml
python3 scripts/monitoring-check.py dashboard monitoring/grafana/dashboards/kv-cache.json

# The token, as compose.monitoring.yaml gives it: one file, read by Spring Boot's config tree and by Prometheus.
token_file="$work/secrets/kvcache.auth.token"
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$token_file" && echo >> "$token_file"
token=$(tr -d '\n' < "$token_file")

# The shipped configuration, with this run's intervals, targets and token file, next to its rule files. The
# cluster threshold is tuned to this run's two members, as a user tunes thresholds.yml.
edit() { # file, sed expression: fails unless the expression changes the file
  local before
  before=$(cat "$1")
  sed -i "$2" "$1"
  [[ "$(cat "$1")" != "$before" ]] || fail "$2 changed nothing in $1: was it edited?"
}
config="$work/prometheus/prometheus.yml"
cp monitoring/prometheus/prometheus.yml monitoring/prometheus/alerts.yml monitoring/prometheus/thresholds.yml \
  "$work/prometheus/"
edit "$config" 's/^\(  [a-z_]*_interval:\) 15s$/\1 1s/'
edit "$config" "s#credentials_file: /run/secrets/kv-cache-token#credentials_file: $token_file#"
targets="\"127.0.0.1:$port\", \"127.0.0.1:${member_ports[0]}\", \"127.0.0.1:${member_ports[1]}\""
edit "$config" "s#targets: \[\"kv-cache:7171\"\]#targets: [$targets]#"
edit "$work/prometheus/thresholds.yml" '/kvcache:threshold:cluster_members/{n;s/vector(3)/vector(2)/}'
promtool check config "$config"

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 40); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive -eq 0 ]] && break
    sleep 0.25
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$work/tsdb"
}
trap cleanup EXIT

# 2. The service: a local instance and two cluster members, on loopback.
jvm=(-Xmx128m -XX:TieredStopAtLevel=1)
common=(--kvcache.max-value-length=2048 --kvcache.shutdown.drain=0s)
export SPRING_CONFIG_IMPORT="configtree:$work/secrets/"
"$java" "${jvm[@]}" -jar target/kv-cache.jar --server.port="$port" "${common[@]}" --kvcache.max-memory=1MB \
  --kvcache.snapshot.dir="$work/snapshots" --kvcache.snapshot.interval=2s > "$work/local.log" 2>&1 &
pids+=($!)
members="127.0.0.1:${cluster_ports[0]},127.0.0.1:${cluster_ports[1]}"
for i in 0 1; do
  "$java" "${jvm[@]}" -jar target/kv-cache.jar --server.port="${member_ports[$i]}" "${common[@]}" \
    --kvcache.mode=cluster --kvcache.cluster.name="monitoring-check-$$" --kvcache.cluster.bind-address=127.0.0.1 \
    --kvcache.cluster.port="${cluster_ports[$i]}" --kvcache.cluster.members="$members" \
    --kvcache.max-memory=16MB > "$work/member-$((i + 1)).log" 2>&1 &
  pids+=($!)
done
unset SPRING_CONFIG_IMPORT
for p in "$port" "${member_ports[@]}"; do
  for _ in $(seq 1 720); do
    curl -fs -o /dev/null --max-time 1 "127.0.0.1:$p/actuator/health/readiness" && break
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || fail "a service died on start-up, see $work/*.log"; done
    sleep 0.25
  done
  curl -fs -o /dev/null "127.0.0.1:$p/actuator/health/readiness" || fail "127.0.0.1:$p not ready after 180 s, see $work"
done
[[ $(curl -s -o /dev/null -w '%{http_code}' "127.0.0.1:$port/actuator/prometheus") == 401 ]] \
  || fail "the service answers without its token: the token file was not read"
say "kv-cache ready: local on $port, cluster members on ${member_ports[*]}"

# 3. Prometheus, then the traffic.
prometheus --config.file="$config" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prometheus_port" > "$work/prometheus.log" 2>&1 &
pids+=($!)
prometheus_url="http://127.0.0.1:$prometheus_port"
for _ in $(seq 1 120); do curl -fs -o /dev/null "$prometheus_url/-/ready" && break; sleep 0.25; done
curl -fs -o /dev/null "$prometheus_url/-/ready" || fail "Prometheus not ready after 30 s, see $work/prometheus.log"
say "Prometheus $(prometheus --version 2>&1 | head -n 1 | awk '{ print $3 }') ready on $prometheus_port"

traffic() { # port, connections, delay in ms, shortest and longest value, seconds
  MON_TOKEN="$token" MON_DELAY_MS="$3" MON_VALUE_MIN="$4" MON_VALUE_MAX="$5" wrk -t1 -c"$2" -d"$6s" \
    -s scripts/monitoring-traffic.lua "http://127.0.0.1:$1" > "$work/wrk-$1-$5.log" 2>&1 &
  pids+=($!)
}
# The local instance: values of alike sizes first (evictions for the budget), then of every size up to 2,048
# characters (the page cleaner moves chunks to take back the room of freed ones). The traffic lasts until the
# queries are done.
traffic "$port" 4 1 192 256 $((seconds / 2))
sleep $((seconds / 2))
traffic "$port" 4 1 0 2048 $((seconds + 120))
traffic "${member_ports[0]}" 2 5 0 2048 $((seconds + 120))
traffic "${member_ports[1]}" 1 20 0 2048 $((seconds + 120))

# Snapshots that fail for a while: a directory where the writer's temporary file goes (root ignores permissions).
mkdir -p "$work/snapshots/kv-cache.snapshot.tmp/in-the-way"
sleep 5
rm -rf "$work/snapshots/kv-cache.snapshot.tmp"
sleep $((seconds - seconds / 2 - 5))

metric() { # name: its value on the local instance
  curl -s -H "Authorization: Bearer $token" "127.0.0.1:$port/actuator/prometheus" | sed -n "s/^$1 //p"
}
failure=$(metric kvcache_snapshot_last_failure_seconds) success=$(metric kvcache_snapshot_last_success_seconds)
awk -v f="$failure" -v s="$success" 'BEGIN { exit !(f > 0 && s > f) }' \
  || fail "expected a snapshot failure and a success after it: failure $failure, success $success"
say "snapshot meters: a failure at $failure, a success after it at $success"
grep -q 'Periodic snapshot failed' "$work/local.log" || fail "the log shows no failed snapshot"
evictions=$(metric 'cache_evictions_total{cache="kv"}')
expirations=$(metric 'cache_expirations_total{cache="kv"}')
moves=$(metric 'cache_offheap_moves_total{cache="kv"}')
page_forced=$(metric 'cache_offheap_evictions_total{cache="kv"}')
awk -v e="$evictions" -v x="$expirations" -v m="$moves" 'BEGIN { exit !(e - x > 1000 && x > 0 && m > 0) }' \
  || fail "expected evictions for the budget, expirations and entries moved on: $evictions evictions," \
    "$expirations expirations, $moves moves"
say "local instance so far: $(metric 'cache_puts_total{cache="kv"}') puts;" \
  "$(metric 'cache_gets_total{cache="kv",result="hit"}') hits, $(metric 'cache_gets_total{cache="kv",result="miss"}')" \
  "misses; $evictions evictions, $expirations of them expirations, $page_forced forced;" \
  "$moves entries moved on"

# 4. Every expression, while the traffic runs.
say "traffic for ${seconds} s; asking Prometheus for every expression"
python3 scripts/monitoring-check.py queries monitoring/grafana/dashboards/kv-cache.json "$prometheus_url" 30s
say "passed"
