#!/usr/bin/env bash
# Shutdown and restart of kv-cache as its image runs it (scripts/container-run.sh, 2 GiB, 2 CPUs).
#
# 1. SIGTERM under load (what `docker stop` and Kubernetes send), with the configured kvcache.shutdown.drain:
#    - readiness answers 503 OUT_OF_SERVICE at once, liveness stays 200;
#    - during the drain requests are still served, and every answer closes its connection (Connection: close):
#      a wrk run at a steady rate that ends inside the drain sees no socket error and no non-2xx;
#    - a request in flight when the listener closes (a put whose body is still arriving) completes with 200;
#    - after the drain new connections are refused;
#    - the process exits with status 0 within drain + spring.lifecycle.timeout-per-shutdown-phase.
#    A second wrk run that goes on through the close shows what clients see after it (reported, not checked).
# 2. kill -9, then start again, 3 times: time from start to readiness UP (median of 3).
#
#   scripts/shutdown-check.sh [--port 7241] [--rate 2000] [-- extra kv-cache args]
# Prints its figures; exits non-zero if a check failed. Takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
name=shutdown-check

port=7241 rate=2000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "shutdown-check: unknown option $1" >&2; exit 2 ;;
  esac
done
extra=("$@")

out=target/shutdown-check
rm -rf "$out" && mkdir -p "$out"
base="http://127.0.0.1:$port"
failures=0
say() { echo "shutdown-check: $*"; }
fail() { echo "shutdown-check: FAIL: $*" >&2; failures=$((failures + 1)); }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
for tool in wrk curl; do command -v "$tool" >/dev/null || { echo "shutdown-check: needs $tool" >&2; exit 2; }; done

# Durations as configured, in milliseconds.
setting_ms() { # name default
  local value
  value=$(kv_setting "$1" "$2")
  case "$value" in
    *ms) echo "${value%ms}" ;;
    *s) echo $(( ${value%s} * 1000 )) ;;
    *m) echo $(( ${value%m} * 60000 )) ;;
    *) echo $(( value )) ;; # a bare number is milliseconds
  esac
}
drain_ms=$(setting_ms kvcache.shutdown.drain 5s)
phase_ms=$(setting_ms spring.lifecycle.timeout-per-shutdown-phase 30s)
[[ $drain_ms -ge 3000 ]] || { echo "shutdown-check: needs a drain of 3 s or more to watch it (is ${drain_ms} ms)" >&2; exit 2; }

runner="" helpers=()
cleanup() {
  for h in "${helpers[@]}"; do kill "$h" 2>/dev/null || true; done
  exec 4>&- 2>/dev/null || true
  if [[ -n "$runner" ]]; then
    for p in $(pgrep -P "$runner"); do kill -KILL "$p" 2>/dev/null || true; done
    wait "$runner" 2>/dev/null || true
  fi
}
trap cleanup EXIT

start() { # log → sets runner, pid, launched_ms, java_ms, ready_ms
  launched_ms=$(now_ms)
  scripts/container-run.sh --memory 2g --cpus 2 --server.port="$port" "${extra[@]}" > "$1" 2>&1 &
  runner=$!
  pid="" java_ms=""
  for _ in $(seq 1 3000); do
    if [[ -z "$pid" ]]; then
      pid=$(pgrep -P "$runner" -f JarLauncher | head -n 1 || true)
      [[ -z "$pid" ]] || java_ms=$(now_ms)
    elif curl -fs -o /dev/null --max-time 1 "$base/actuator/health/readiness"; then
      ready_ms=$(now_ms)
      return 0
    fi
    kill -0 "$runner" 2>/dev/null || { echo "shutdown-check: the service died on start-up, see $1" >&2; exit 1; }
    sleep 0.02
  done
  echo "shutdown-check: not ready in time, see $1" >&2
  exit 1
}

# ---- 1. SIGTERM under load --------------------------------------------------------------------------------
say "1. SIGTERM under load: drain $((drain_ms / 1000)) s, then at most $((phase_ms / 1000)) s for requests in flight"
start "$out/server.log"
say "ready; kv-cache pid $pid on port $port"
kv_preload > /dev/null
BENCH_MODE=mixed BENCH_RATE=$rate wrk -t1 -c16 -d5s -s bench/kv.lua "$base" > /dev/null # warm-up

# Load A: at a steady rate, from 2 s before SIGTERM to 1 s before the drain ends. Load B: from 2 s before the
# drain ends to 2 s after.
BENCH_MODE=mixed BENCH_RATE=$rate wrk -t1 -c16 -d$(( 2 + drain_ms / 1000 - 1 ))s --timeout 5s -s bench/kv.lua "$base" \
  > "$out/wrk-a.txt" 2>&1 &
helpers+=($!)
wrk_a=$!
# The request in flight: a put whose body arrives slowly, one byte every 0.2 s, until the listener has closed.
value=$(head -c 250 /dev/zero | tr '\0' s)
body="{\"key\":\"in-flight\",\"value\":\"$value\"}"
exec 4<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /put HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
  "${#body}" "${body:0:30}" >&4
sent=30
sleep 2

kill -TERM "$pid"
term_ms=$(now_ms)
(
  sleep $(( drain_ms / 1000 - 2 ))
  BENCH_MODE=mixed BENCH_RATE=$rate exec wrk -t1 -c16 -d4s --timeout 5s -s bench/kv.lua "$base" > "$out/wrk-b.txt" 2>&1
) &
wrk_b=$!
helpers+=($wrk_b)
readiness_ms="" readiness_body="" liveness="" during="" closed_ms=""
while [[ -z "$closed_ms" ]]; do
  if [[ -z "$readiness_ms" ]]; then
    readiness_body=$(curl -s --max-time 1 -w ' %{http_code}' "$base/actuator/health/readiness" || true)
    if [[ "$readiness_body" == *" 503" ]]; then
      readiness_ms=$(( $(now_ms) - term_ms ))
      liveness=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$base/actuator/health/liveness" || true)
      during=$(curl -s -D - -o /dev/null --max-time 1 "$base/get?key=during-drain" | tr -d '\r' \
        | awk 'NR == 1 { s = $2 } tolower($1) == "connection:" { c = $2 } END { print s " " c }')
    fi
  fi
  set +e
  curl -s -o /dev/null --max-time 1 "$base/get?key=probe"
  rc=$?
  set -e
  if [[ $rc -eq 7 ]]; then
    closed_ms=$(( $(now_ms) - term_ms ))
  elif [[ $(( $(now_ms) - term_ms )) -gt $(( drain_ms + phase_ms + 5000 )) ]]; then
    fail "the listener never closed"; break
  else
    ( printf '%s' "${body:sent:1}" >&4 ) 2>/dev/null && sent=$((sent + 1)) # keep the upload alive, a byte at a time
    sleep 0.2
  fi
done
say "readiness $(( ${readiness_ms:-0} )) ms after SIGTERM: ${readiness_body:-nothing}; liveness ${liveness:-?};" \
  "a new request during the drain: ${during:-nothing}"
[[ "$readiness_body" == *OUT_OF_SERVICE*" 503" && ${readiness_ms:-9999} -lt 1000 ]] \
  || fail "readiness did not turn OUT_OF_SERVICE (503) within 1 s"
[[ "$liveness" == 200 ]] || fail "liveness answered ${liveness:-nothing} during the drain"
[[ "$during" == "404 close" ]] || fail "a request during the drain got '${during}', expected '404 close' (a miss, served, connection closed)"
say "listener closed (connection refused) $closed_ms ms after SIGTERM; $sent of ${#body} body bytes of the in-flight put sent so far"
[[ -n "$closed_ms" && $closed_ms -ge $(( drain_ms - 200 )) ]] || fail "the listener closed before the drain was over"

# The request in flight finishes: the rest of its body, then its answer.
set +e
( printf '%s' "${body:sent}" >&4 ) 2>/dev/null
inflight=$(timeout 5 cat <&4 | tr -d '\r')
set -e
exec 4>&- 4<&-
inflight_status=$(head -n 1 <<< "$inflight" | cut -d' ' -f2)
say "the put in flight answered ${inflight_status:-nothing}: $(tail -n 1 <<< "$inflight")"
[[ "$inflight_status" == 200 && "$inflight" == *'"status":"OK"'* ]] || fail "the request in flight did not complete with 200"
set +e
curl -s -o /dev/null --max-time 1 "$base/get?key=after"
rc=$?
set -e
[[ $rc -eq 7 ]] && say "new connections are refused (curl exit 7)" || fail "a new connection after the drain: curl exit $rc"

set +e
wait "$runner"
status=$?
set -e
exit_ms=$(( $(now_ms) - term_ms ))
runner=""
say "the process exited with status $status, $exit_ms ms after SIGTERM (bound: $(( (drain_ms + phase_ms) / 1000 )) s)"
[[ $status -eq 0 ]] || fail "exit status $status, expected 0"
[[ $exit_ms -le $(( drain_ms + phase_ms )) ]] || fail "exited after $exit_ms ms"
grep -q 'Graceful shutdown complete' "$out/server.log" || fail "no 'Graceful shutdown complete' in the log"
wait "$wrk_a" || true
wait "$wrk_b" || true
read -r rps_a _ p99_a errors_a requests_a <<< "$(sed -n 's/^RESULT //p' "$out/wrk-a.txt")"
read -r c_a r_a w_a t_a non2xx_a _ <<< "$(sed -n 's/^STATUS //p' "$out/wrk-a.txt")"
say "load A (to 1 s before the drain ends): ${requests_a:-?} requests, socket errors" \
  "$(( ${c_a:-0} + ${r_a:-0} + ${w_a:-0} + ${t_a:-0} )), non-2xx ${non2xx_a:-?}, p99 $(awk -v p="${p99_a:-0}" 'BEGIN { printf "%.2f", p / 1000 }') ms"
[[ "${errors_a:-1}" -eq 0 && "${non2xx_a:-1}" -eq 0 ]] || fail "load A saw errors: $(cat "$out/wrk-a.txt")"
read -r _ _ _ _ requests_b <<< "$(sed -n 's/^RESULT //p' "$out/wrk-b.txt")"
read -r c_b r_b w_b t_b non2xx_b _ <<< "$(sed -n 's/^STATUS //p' "$out/wrk-b.txt")"
# wrk reports a refused connection as a write error (its connect is non-blocking) and retries at once; a read
# error is a request sent on a connection accepted just before the listener closed, which Tomcat then closed
# unanswered. Neither happens to clients that left during the drain, as load balancers make them.
say "load B (through the close): ${requests_b:-?} requests answered, non-2xx ${non2xx_b:-?}; after the close:" \
  "refused connection attempts (wrk: write errors) ${w_b:-?}, requests cut by the close (read errors) ${r_b:-?}," \
  "connect errors ${c_b:-?}, timeouts ${t_b:-?}"

# ---- 2. kill -9 and start again ---------------------------------------------------------------------------
say "2. kill -9, then start again (3 times)"
start "$out/restart-0.log"
since_java=() since_launch=()
for i in 1 2 3; do
  kill -KILL "$pid"
  set +e; wait "$runner"; killed=$?; set -e
  [[ $killed -eq 137 ]] || fail "status $killed after kill -9"
  start "$out/restart-$i.log"
  since_java+=($((ready_ms - java_ms)))
  since_launch+=($((ready_ms - launched_ms)))
  put=$(curl -s -X POST "$base/put" -H 'Content-Type: application/json' -d '{"key":"again","value":"ok"}')
  [[ "$put" == *'"status":"OK"'* ]] || fail "restart $i: put answered $put"
  say "  restart $i: ready $((ready_ms - java_ms)) ms after the JVM started ($((ready_ms - launched_ms)) ms after" \
    "container-run, which first extracts the jar's layers); $(grep -o 'Started KvCacheApplication in [0-9.]* seconds (process running for [0-9.]*)' "$out/restart-$i.log")"
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
say "  median: ready $(median "${since_java[@]}") ms after the JVM starts, $(median "${since_launch[@]}") ms after container-run"
kill -KILL "$pid"
wait "$runner" 2>/dev/null || true
runner=""

if [[ $failures -gt 0 ]]; then
  echo "shutdown-check: $failures check(s) failed; logs in $out/" >&2
  exit 1
fi
say "all checks passed; logs in $out/"
