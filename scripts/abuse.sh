#!/usr/bin/env bash
# Abusive clients against kv-cache on loopback, started as its Docker image runs it (scripts/container-run.sh,
# in a 2 GiB, 2-CPU cgroup), checking that each is refused cleanly and that normal clients stay served:
#   1. oversized request line and headers: a 4xx in JSON, and the connection closed;
#   2. a 50 MB body, declared and chunked: 413 at once, nothing buffered (time to answer, RSS before/after);
#   3. slowloris: hundreds of connections dribbling a request line/headers or a body a byte a second, while wrk
#      measures normal GET latency at a steady rate; the same measurement without them first;
#   4. a connection flood beyond server.tomcat.max-connections + accept-count, held idle: the server stays fine,
#      clients already connected stay served, new clients are served again as soon as the flood ends.
# Prints its figures; exits non-zero if a check failed. Bounded in time (about 2 minutes); stops what it started.
#
#   scripts/abuse.sh [--port 7211] [--slowloris 300] [--slow-bodies 100] [--flood N] [--rate 5000] [--seconds 20]
#                    [--full] [-- extra kv-cache args]
# --full first fills the cache to its budget (unique 256/256 entries, bench/fill.lua; FILL_KEY_LENGTH=36 for
# 36/256), so that the abuse meets the memory a full cache leaves: with --slow-bodies 630, about the worst case
# server.tomcat.max-connections (640) allows.
# Needs wrk and curl, a JDK 17+ for the client helper (scripts/AbuseClients.java, run from source) and JDK 25
# for the service (see container-run.sh); builds target/kv-cache.jar if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
name=abuse

port=7211 slowloris=300 slow_bodies=100 flood="" rate=5000 seconds=20 full=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --slowloris) slowloris="$2"; shift 2 ;;
    --slow-bodies) slow_bodies="$2"; shift 2 ;;
    --flood) flood="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --full) full=1; shift ;;
    --) shift; break ;;
    *) echo "abuse: unknown option $1" >&2; exit 2 ;;
  esac
done
extra=("$@")

out=target/abuse
mkdir -p "$out"
log="$out/server.log"
base="http://127.0.0.1:$port"
failures=0
say() { echo "abuse: $*"; }
fail() { echo "abuse: FAIL: $*" >&2; failures=$((failures + 1)); }

for tool in wrk curl; do command -v "$tool" >/dev/null || { echo "abuse: needs $tool" >&2; exit 2; }; done
jdk25=$(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null | head -n 1 || true)
helper_java="${jdk25:+$jdk25/bin/}java"
jcmd="${jdk25:+$jdk25/bin/}jcmd"

# Limits in force (defaults: Tomcat's).
max_connections=$(kv_setting server.tomcat.max-connections 8192)
accept_count=$(kv_setting server.tomcat.accept-count 100)
[[ -n "$flood" ]] || flood=$((max_connections + accept_count + 1000))

runner="" helpers=()
cleanup() {
  for h in "${helpers[@]}"; do kill "$h" 2>/dev/null || true; done
  if [[ -n "$runner" ]]; then kill "$runner" 2>/dev/null || true; wait "$runner" 2>/dev/null || true; fi
  rm -f "$out/50m.bin"
}
trap cleanup EXIT

# ---- start ------------------------------------------------------------------------------------------------
# No drain on the way out: this script tests abuse, not shutdown (scripts/shutdown-check.sh does).
kv_start "$log" --server.port="$port" --kvcache.shutdown.drain=0s "${extra[@]}"

rss_mb() { awk '/^VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$pid/status"; }
threads() { awk '/^Threads/ { print $2 }' "/proc/$pid/status"; }
fds() { ls "/proc/$pid/fd" | wc -l; }
heap_after_gc_mb() { # through the attach socket, not HTTP: works while the connector is saturated
  "$jcmd" "$pid" GC.run >/dev/null
  "$jcmd" "$pid" GC.heap_info | sed -n 's/.* used \([0-9]*\)K.*/\1/p' | head -n 1 | awk '{ printf "%.1f", $1 / 1024 }'
}
stats() { echo "RSS $(rss_mb) MB, heap after GC $(heap_after_gc_mb) MB, $(threads) threads, $(fds) fds"; }
healthy() { curl -fs -o /dev/null --max-time 5 "$base/actuator/health/liveness"; }
say "kv-cache on port $port (pid $pid): max-connections $max_connections, accept-count $accept_count; $(stats)"

if [[ $full -eq 1 ]]; then
  metric() { curl -fs "$base/actuator/metrics/$1" | sed -E 's/.*"value":([0-9.Ee+-]+).*/\1/' | awk '{ printf "%.0f", $1 }'; }
  budget=$(metric cache.memory.budget) written=0
  while [[ $(metric cache.evictions) -eq 0 ]]; do # full: evicting (the weighted size settles a little below)
    requests=$(FILL_MODE=put FILL_FROM=$written wrk -t1 -c32 -d5s -s bench/fill.lua "$base" | sed -n 's/^RESULT //p' \
      | awk '{ print $5 }')
    written=$((written + requests))
  done
  say "filled: $written entries written, $(metric cache.size) held, $(( $(metric cache.memory.used) / 1048576 )) of" \
    "$((budget / 1048576)) MB of budget used; $(stats)"
fi

# ---- 1. oversized request line and headers ----------------------------------------------------------------
# Sends a keep-alive HTTP/1.1 request as raw bytes and reads until the server closes; a connection still open
# after 5 s counts as not closed.
raw() { # name request
  local name=$1 request=$2 rc
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  ( printf '%s' "$request" >&3 ) 2>/dev/null || true # in a subshell: a reset mid-write must not end the script
  set +e
  timeout 5 cat <&3 > "$out/raw.txt" 2>/dev/null
  rc=$?
  set -e
  exec 3>&- 3<&-
  local status type body closed=yes
  status=$(head -n 1 "$out/raw.txt" | cut -d' ' -f2)
  type=$(sed -n 's/^Content-Type: \([^\r]*\).*/\1/Ip' "$out/raw.txt" | head -n 1)
  body=$(sed -n '/^\r$/,$p' "$out/raw.txt" | tail -n +2)
  [[ $rc -ne 124 ]] || closed=no
  say "  $name: ${status:-no answer} ${type:-no type} $body; connection closed: $closed"
  [[ "${status:-0}" -ge 400 && "${status:-0}" -le 499 ]] || fail "$name: expected a 4xx, got ${status:-nothing}"
  [[ "$type" == application/json* && "$body" == '{"status":"ERROR","message":'* ]] || fail "$name: not a JSON error"
  [[ $closed == yes ]] || fail "$name: the connection stayed open"
}
say "1. oversized request line and headers (limit: request line and headers together, $(kv_setting server.max-http-request-header-size 8KB))"
long_key=$(head -c 10000 /dev/zero | tr '\0' k)
big_value=$(head -c 20000 /dev/zero | tr '\0' b)
many=""; for i in $(seq 1 200); do many+="X-H$i: v"$'\r\n'; done
mid=""; for i in $(seq 1 90); do mid+="X-M$i: $(head -c 100 /dev/zero | tr '\0' m)"$'\r\n'; done
raw "request line of 10 KB" "GET /get?key=$long_key HTTP/1.1"$'\r\n'"Host: x"$'\r\n\r\n'
raw "one header of 20 KB" "GET /get?key=a HTTP/1.1"$'\r\n'"Host: x"$'\r\n'"X-Big: $big_value"$'\r\n\r\n'
raw "200 small headers" "GET /get?key=a HTTP/1.1"$'\r\n'"Host: x"$'\r\n'"$many"$'\r\n'
raw "90 headers of 100 bytes (9 KB)" "GET /get?key=a HTTP/1.1"$'\r\n'"Host: x"$'\r\n'"$mid"$'\r\n'
healthy && say "  the server answers normally afterwards" || fail "unhealthy after oversized headers"

# ---- 2. bodies far over the limit -------------------------------------------------------------------------
say "2. a 50 MB body (the limit is 4 KB by default)"
head -c $((50 * 1024 * 1024)) /dev/zero > "$out/50m.bin"
body_case() { # name curl-args...
  local name=$1; shift
  local before after result code
  before=$(rss_mb)
  set +e
  result=$(curl -s -o "$out/body.txt" -w '%{http_code} %{time_total} %{size_upload}' --max-time 30 -X POST \
    -H 'Content-Type: application/json' "$@" "$base/put" 2>/dev/null)
  code=$?
  set -e
  after=$(rss_mb)
  read -r status time sent <<< "$result"
  sent=${sent:-0}
  say "  $name: ${status:-none} in ${time:-?} s, $((${sent%.*} / 1024)) KB sent before the answer, curl exit $code," \
    "body $(cat "$out/body.txt" 2>/dev/null); server RSS $before -> $after MB"
  [[ "$status" == 413 ]] || fail "$name: expected 413, got ${status:-nothing} (curl exit $code)"
  awk -v t="${time:-99}" 'BEGIN { exit !(t < 2) }' || fail "$name: answered after $time s"
  [[ $((after - before)) -lt 40 ]] || fail "$name: RSS grew by $((after - before)) MB"
}
body_case "declared (Content-Length: 52428800)" -H 'Expect:' -T "$out/50m.bin"
body_case "declared, with Expect: 100-continue" -H 'Expect: 100-continue' -T "$out/50m.bin"
body_case "chunked, streamed" -H 'Transfer-Encoding: chunked' -H 'Expect:' -T - < "$out/50m.bin"
rm -f "$out/50m.bin"
healthy && say "  the server answers normally afterwards; $(stats)" || fail "unhealthy after big bodies"

# ---- 3. slowloris -----------------------------------------------------------------------------------------
gets() { # seconds → "p50_ms p99_ms rps errors non2xx"
  local result status
  result=$(BENCH_MODE=get BENCH_RATE=$rate wrk -t1 -c16 -d"$1"s --timeout 5s -s bench/kv.lua "$base")
  read -r rps p50 p99 errors requests <<< "$(sed -n 's/^RESULT //p' <<< "$result")"
  read -r _connect _read _write _timeout non2xx misses p999 max <<< "$(sed -n 's/^STATUS //p' <<< "$result")"
  awk -v a="$p50" -v b="$p99" -v c="$p999" -v m="$max" -v r="$rps" -v e="$errors" -v n="$non2xx" \
    'BEGIN { printf "%.2f %.2f %.2f %.2f %d %d %d\n", a / 1000, b / 1000, c / 1000, m / 1000, r, e, n }'
}
say "3. slowloris: $slowloris connections dribbling request lines/headers and $slow_bodies dribbling bodies, a byte a second"
kv_preload > /dev/null
BENCH_MODE=get BENCH_RATE=$rate wrk -t1 -c16 -d5s -s bench/kv.lua "$base" > /dev/null # JIT warm-up
read -r p50 p99 p999 max rps errors non2xx <<< "$(gets "$seconds")"
say "  without attack: GET at $rate/s for ${seconds}s: $rps req/s, p50 $p50 ms, p99 $p99 ms, p99.9 $p999 ms, max $max ms, errors $errors"
[[ $errors -eq 0 ]] || fail "errors without attack"
before="$(stats)"
"$helper_java" scripts/AbuseClients.java slowloris "$port" "$slowloris" "$slow_bodies" $((seconds + 15)) \
  > "$out/slowloris.txt" 2>&1 &
helpers+=($!)
for _ in $(seq 1 100); do grep -q '^OPENED .*=[0-9]' "$out/slowloris.txt" && break; sleep 0.2; done
sleep 3
say "  $(head -n 1 "$out/slowloris.txt"); server: $before -> $(stats)"
read -r p50a p99a p999a maxa rpsa errorsa non2xxa <<< "$(gets "$seconds")"
say "  under attack:   GET at $rate/s for ${seconds}s: $rpsa req/s, p50 $p50a ms, p99 $p99a ms, p99.9 $p999a ms, max $maxa ms, errors $errorsa"
wait "${helpers[-1]}" || true
say "  $(grep '^SLOWLORIS' "$out/slowloris.txt" || echo 'slowloris helper failed')"
[[ $errorsa -eq 0 ]] || fail "$errorsa errors for normal clients under slowloris"
awk -v r="$rpsa" -v t="$rate" 'BEGIN { exit !(r >= 0.9 * t) }' || fail "normal clients got $rpsa req/s of $rate under slowloris"
awk -v p="$p99a" 'BEGIN { exit !(p <= 50) }' || fail "normal GET p99 $p99a ms under slowloris"
healthy || fail "unhealthy after slowloris"

# ---- 4. connection flood ----------------------------------------------------------------------------------
say "4. flood: $flood connections opened at once and held idle for ${seconds}s (limit $max_connections + backlog $accept_count)"
before="$(stats)"
fds_before=$(fds)
# A client connected before the flood: its keep-alive connections must stay served throughout.
BENCH_MODE=get BENCH_RATE=1000 wrk -t1 -c8 -d$((seconds + 10))s --timeout 5s -s bench/kv.lua "$base" \
  > "$out/flood-wrk.txt" 2>&1 &
wrk_pid=$!
helpers+=($wrk_pid)
sleep 1
"$helper_java" -XX:TieredStopAtLevel=1 scripts/AbuseClients.java flood "$port" "$flood" "$seconds" 3000 \
  > "$out/flood.txt" 2>&1 &
flood_pid=$!
helpers+=($flood_pid)
for _ in $(seq 1 150); do grep -q '^HELD .*failed=[0-9]' "$out/flood.txt" && break; sleep 0.2; done
held=$(grep '^HELD' "$out/flood.txt" || echo "HELD ? (helper: $(tail -n 1 "$out/flood.txt"))")
listen=$(ss -Hltn "sport = :$port" | awk '{ print "backlog " $2 "/" $3 }')
established=$(ss -Htn state established "sport = :$port" | wc -l)
accepted=$(( $(fds) - fds_before ))
say "  $held (as the client sees it); server: $before -> $(stats); Tomcat holds $accepted of them" \
  "(the limit), the kernel $established established server-side sockets in all, $listen"
[[ $accepted -le $((max_connections + 16)) ]] || fail "Tomcat holds $accepted connections, over max-connections $max_connections"
set +e
newcomer=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --connect-timeout 2 --max-time 3 "$base/get?key=flood")
newcomer_rc=$?
set -e
say "  a new client during the flood: ${newcomer%% *} (curl exit $newcomer_rc: 28 is a time-out, 7 refused) in ${newcomer##* } s"
wait "$flood_pid" || true
released=$(date +%s%N)
recovered=""
for _ in $(seq 1 500); do
  if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$base/get?key=flood") == 404 ]]; then
    recovered=$(( ($(date +%s%N) - released) / 1000000 )); break
  fi
  sleep 0.01
done
say "  $(grep '^RELEASED' "$out/flood.txt" || echo 'RELEASED ?'); a new client is served ${recovered:-never} ms after the flood ends"
[[ -n "$recovered" && "$recovered" -lt 2000 ]] || fail "new clients not served within 2 s of the flood's end"
wait "$wrk_pid" || true
read -r rpsf p50f p99f errorsf requestsf <<< "$(sed -n 's/^RESULT //p' "$out/flood-wrk.txt")"
say "  client connected before the flood: $requestsf GETs, errors ${errorsf:-?}, p99 $(awk -v p="${p99f:-0}" 'BEGIN { printf "%.2f", p / 1000 }') ms"
[[ "${errorsf:-1}" -eq 0 ]] || fail "the client connected before the flood saw ${errorsf:-?} errors"
healthy && say "  after the flood: $(stats)" || fail "unhealthy after the flood"

# ---- the server's own view --------------------------------------------------------------------------------
# Tomcat logs the first unparseable request at INFO (with the parser's exception): that is expected here.
if grep -E 'java.lang.OutOfMemoryError| ERROR |SEVERE' "$log" > "$out/log-errors.txt"; then
  fail "errors in the server log: $(head -n 3 "$out/log-errors.txt")"
fi
kill -0 "$pid" 2>/dev/null || fail "the JVM is gone"
if [[ $failures -gt 0 ]]; then
  echo "abuse: $failures check(s) failed; server log: $log" >&2
  exit 1
fi
say "all checks passed; server log: $log"
