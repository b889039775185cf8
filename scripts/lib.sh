# Shared by the long checks (abuse.sh, soak.sh, shutdown-check.sh) and bench/open-loop.sh; sourced, not run.
# Each script sets `name` (for messages) and `base` (http://127.0.0.1:<port>) before calling these.

# Starts kv-cache as its image runs it, in a 2 GiB, 2-CPU cgroup (container-run.sh), logging to $1, with the
# remaining arguments passed to the service; waits up to `ready_seconds` (default 60) for readiness. Sets
# `runner` (container-run.sh's pid, which the caller's cleanup kills) and `pid` (the JVM's).
kv_start() {
  local log=$1
  shift
  scripts/container-run.sh --memory 2g --cpus 2 "$@" > "$log" 2>&1 &
  runner=$!
  local seconds=${ready_seconds:-60}
  for _ in $(seq 1 $((seconds * 4))); do
    curl -fs -o /dev/null --max-time 1 "$base/actuator/health/readiness" && break
    kill -0 "$runner" 2>/dev/null || { echo "$name: the service died on start-up, see $log" >&2; exit 1; }
    sleep 0.25
  done
  curl -fs -o /dev/null "$base/actuator/health/readiness" || { echo "$name: not ready after $seconds s, see $log" >&2; exit 1; }
  pid=$(pgrep -P "$runner" -f JarLauncher | head -n 1)
}

# A setting as the service will see it: the last --NAME=value among the script's `extra` arguments (passed on
# to the service), else application.properties, else $2 (the default of Spring or Tomcat).
kv_setting() {
  local value arg
  value=$(sed -n "s/^$1=//p" src/main/resources/application.properties | tail -n 1)
  for arg in "${extra[@]}"; do [[ "$arg" == "--$1="* ]] && value=${arg#--$1=}; done
  echo "${value:-$2}"
}

# Puts every key of bench/kv.lua's workload once (10,000 UUID keys, 256-character values), so that from then on
# a 404 is a miss. Prints the number of puts.
kv_preload() {
  local done_puts=0 requests
  while [[ $done_puts -lt 10000 ]]; do
    requests=$(BENCH_MODE=preload BENCH_OFFSET=$done_puts wrk -t1 -c16 -d2s -s bench/kv.lua "$base" \
      | sed -n 's/^RESULT //p' | awk '{ print $5 }')
    done_puts=$((done_puts + requests))
  done
  echo "$done_puts"
}
