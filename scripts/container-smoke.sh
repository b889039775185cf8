#!/usr/bin/env bash
# Smoke test of the container's command line: starts kv-cache with the Dockerfile's ENTRYPOINT inside a 2 GiB,
# 2-CPU cgroup (scripts/container-run.sh), checks the HEALTHCHECK command, a put and a get, then stops it with
# SIGTERM as `docker stop` would and expects the drain (readiness DOWN, requests still served) and exit 0; then
# starts it again on the same volume (/data: warm restart) and expects the entry back.
# Prints what it checked; exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
port=7171
log=target/container-smoke.log
data=target/container-smoke-data # the image's volume, kept from one run to the next as `docker run -v` would
mkdir -p target
rm -rf "$data"

fail() { echo "container-smoke: FAIL: $*" >&2; tail -n 40 "$log" >&2 || true; exit 1; }

limits=(--memory 2g --cpus 2)
if ! { mkdir -p /sys/fs/cgroup/memory/kvcache-probe-$$ && rmdir /sys/fs/cgroup/memory/kvcache-probe-$$; } 2>/dev/null; then
  echo "container-smoke: no writable cgroup v1 here; running without limits" >&2
  limits=()
fi

start() {
  started=$(date +%s%N)
  scripts/container-run.sh "${limits[@]}" --data "$data" > "$log" 2>&1 &
  runner=$!
  trap 'kill $runner 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do
    curl -fs "localhost:$port/actuator/health/readiness" >/dev/null 2>&1 && break
    kill -0 $runner 2>/dev/null || fail "the service exited during start-up"
    sleep 0.25
  done
  ready_ms=$(( ($(date +%s%N) - started) / 1000000 ))
  curl -fs "localhost:$port/actuator/health/readiness" >/dev/null || fail "not ready after 30 s"
  echo "container-smoke: ready in ${ready_ms} ms (including layer extraction); $(grep -o 'Started KvCacheApplication in [0-9.]* seconds' "$log")"
}

start

healthcheck=$(sed -n "s/^  CMD \(.*\)$/\1/p" Dockerfile)
eval "$healthcheck" || fail "HEALTHCHECK command failed"
echo "container-smoke: HEALTHCHECK passes"

put=$(curl -s -X POST "localhost:$port/put" -H 'Content-Type: application/json' -d '{"key":"smoke","value":"ok"}')
[[ "$put" == '{"status":"OK","message":"Key inserted/updated successfully."}' ]] || fail "put answered $put"
get=$(curl -s "localhost:$port/get?key=smoke")
[[ "$get" == '{"status":"OK","key":"smoke","value":"ok"}' ]] || fail "get answered $get"
{ grep -q 'Cache budget 1536MB of direct memory (' "$log" && ! grep -q 'does not fit' "$log"; } || [[ ${#limits[@]} -eq 0 ]] \
  || fail "expected the default 1536MB budget, uncut, in a 2 GiB container: $(grep 'Cache budget' "$log")"
echo "container-smoke: put and get answer as documented; $(grep -o 'Cache budget [0-9]*MB [^)]*)' "$log")"

java_pid=$(pgrep -P $runner | head -n 1) # container-run.sh execs java in its one child
kill -TERM "$java_pid"
# The drain (kvcache.shutdown.drain, 5 s): readiness DOWN at once, requests still served, each connection closed.
readiness=""
for _ in $(seq 1 20); do
  readiness=$(curl -s -o /dev/null -w '%{http_code}' "localhost:$port/actuator/health/readiness")
  [[ "$readiness" == 503 ]] && break
  sleep 0.05
done
[[ "$readiness" == 503 ]] || fail "readiness answered $readiness after SIGTERM, expected 503"
during=$(curl -s -D - -o /dev/null "localhost:$port/get?key=smoke" | tr -d '\r')
grep -q '^HTTP/1.1 200' <<< "$during" && grep -qi '^Connection: close' <<< "$during" \
  || fail "during the drain a get answered: $during"
echo "container-smoke: on SIGTERM readiness went DOWN (503) and requests were still served, with Connection: close"
await_exit() { # sets status
  set +e
  wait $runner
  status=$?
  set -e
  trap - EXIT
}
await_exit
[[ $status -eq 0 ]] || fail "exit status $status after SIGTERM"
grep -q 'Graceful shutdown complete' "$log" || fail "no graceful shutdown in the log"
grep -q 'Shutdown snapshot: 1 entries' "$log" && [[ -s "$data/kv-cache.snapshot" ]] \
  || fail "no snapshot written at shutdown: $(grep -i snapshot "$log")"
echo "container-smoke: stopped cleanly on SIGTERM (status $status), the snapshot written to the volume"

# Warm restart: the same volume, a new process; the entry is back.
start
grep -q 'Loaded 1 entries' "$log" || fail "the snapshot was not loaded: $(grep -i snapshot "$log")"
get=$(curl -s "localhost:$port/get?key=smoke")
[[ "$get" == '{"status":"OK","key":"smoke","value":"ok"}' ]] || fail "after the restart get answered $get"
echo "container-smoke: after a restart on the same volume the entry is back ($(grep -o 'Loaded 1 entries.* ms' "$log"))"
kill -TERM "$(pgrep -P $runner | head -n 1)"
await_exit
[[ $status -eq 0 ]] || fail "exit status $status after the second SIGTERM"
