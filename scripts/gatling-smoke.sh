#!/usr/bin/env bash
# Smoke test of the Gatling load tests (gatling/): runs KvCacheSimulation and then EvictionSimulation in smoke mode
# (a few seconds, a few users, every check and assertion kept) against the built jar, so that neither can rot.
# Builds nothing: needs target/kv-cache.jar (./mvnw -B package -DskipTests). Starts it on port $PORT (default 7301)
# with a 16 MB budget, the one EvictionSimulation is told about, and stops it on exit. Uses the java on PATH.
# Prints one line per simulation; exits non-zero if either failed. Logs: gatling/target/smoke/.
set -euo pipefail
cd "$(dirname "$0")/.."

port=${PORT:-7301}
budget_mb=16
jar=target/kv-cache.jar
logs=gatling/target/smoke

[[ -f $jar ]] || { echo "gatling-smoke: $jar not found; build it first: ./mvnw -B package -DskipTests" >&2; exit 2; }
# Readiness on a port that another process holds would test that process instead.
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "gatling-smoke: port $port is already in use; free it or choose another with PORT=..." >&2
  exit 2
fi

mkdir -p "$logs"
started=$(date +%s)
java -jar "$jar" --server.port="$port" --kvcache.max-memory="${budget_mb}MB" > "$logs/server.log" 2>&1 &
server=$!
stop_server() { kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true; }
trap stop_server EXIT
trap 'exit 130' INT TERM # so that the EXIT trap stops the server on Ctrl-C or a CI time-out too

for _ in $(seq 1 120); do
  curl -fs "localhost:$port/actuator/health/readiness" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { echo "gatling-smoke: the server exited during start-up:" >&2; tail -n 30 "$logs/server.log" >&2; exit 1; }
  sleep 0.5
done
curl -fs "localhost:$port/actuator/health/readiness" >/dev/null || { echo "gatling-smoke: server not ready after 60 s" >&2; exit 1; }
echo "gatling-smoke: kv-cache ready on port $port ($(java -version 2>&1 | head -n 1)), budget ${budget_mb} MB"

# Value of the Global Information table's row $2, column $3 (2 = all requests, 4 = KO) in Gatling's console log $1.
global_stat() {
  awk -F'|' -v row="$2" -v col="$3" \
    '/---- Global Information/ { inside = 1 } inside && index($1, row) { v = $col; gsub(/[ ,]/, "", v); print v; exit }' "$1"
}

failed=0
run_simulation() {
  local simulation=$1 log="$logs/$1.log" status=0
  ./mvnw -B -f gatling/pom.xml gatling:test -Dgatling.simulationClass="dev.kvcache.gatling.$simulation" \
    -Dsmoke=true -DbaseUrl="http://localhost:$port" -DbudgetMb="$budget_mb" > "$log" 2>&1 || status=$?

  local requests ko p99 report
  requests=$(global_stat "$log" "> request count" 2)
  ko=$(global_stat "$log" "> request count" 4)
  [[ $ko == "-" ]] && ko=0
  p99=$(global_stat "$log" "> response time 99th percentile" 2)
  report=$(sed -n 's|^Reports generated, please open the following file: file://||p' "$log")
  if [[ $status -eq 0 ]]; then
    echo "gatling-smoke: $simulation PASS: ${requests:-?} requests, ${ko:-?} failed, p99 ${p99:-?} ms; report $report"
  else
    failed=1
    echo "gatling-smoke: $simulation FAIL (exit $status): ${requests:-?} requests, ${ko:-?} failed, p99 ${p99:-?} ms;" \
      "log $log" >&2
    # Gatling's summary (errors table, assertions) if it got that far, else the end of the log.
    if grep -q '^---- Global Information' "$log"; then
      sed -n '/^---- Global Information/,/^\[INFO\] BUILD/p' "$log" >&2
    else
      tail -n 40 "$log" >&2
    fi
  fi
}

run_simulation KvCacheSimulation
run_simulation EvictionSimulation

echo "gatling-smoke: $([[ $failed -eq 0 ]] && echo "all passed" || echo "FAILED") in $(( $(date +%s) - started )) s"
exit $failed
