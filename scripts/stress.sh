#!/usr/bin/env bash
# Stress run: demanding clients against a small, full cache whose value sizes shift abruptly (scripts/
# StressClients.java): every acknowledged put read back at once, no stale value, nothing back after a delete or
# past its ttl, every value checksummed, no 5xx. Starts kv-cache with the image's command line (scripts/
# container-run.sh, in a 2 GiB, 2-CPU cgroup where one can be made) and a small budget, fills it with wrk until it
# evicts (bench/fill.lua: one size of entries), runs the clients, which keep it evicting, then checks from its
# metrics that no eviction was forced (none dropped the newest writes for want of anything else to drop), and that
# the segments and the index stayed within the budget. Exits non-zero on any failure.
#
#   scripts/stress.sh [--seconds 30] [--clients 48] [--seed 1] [--max-memory 24MB] [-- extra kv-cache args]
#   KVCACHE_JAR=other.jar scripts/stress.sh ...      (another build, e.g. the one before, to compare)
# CI runs it for 30 s with seed 1. Without JDK 25 (which the image's flags need) it runs the jar with plain java.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=30 clients=48 seed=1 max_memory=24MB port=7161
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --max-memory) max_memory="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
jar="${KVCACHE_JAR:-target/kv-cache.jar}"
[[ -f "$jar" ]] || ./mvnw -B -q package -DskipTests
mkdir -p target
log=target/stress-service.log

args=(--server.port=$port --kvcache.max-memory="$max_memory" --kvcache.ttl=1h --kvcache.snapshot.dir= "$@")
jdk25=$(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null | head -n 1 || true)
if [[ -n "$jdk25" ]]; then
  limits=(--memory 2g --cpus 2)
  { mkdir -p /sys/fs/cgroup/memory/kvcache-probe-$$ && rmdir /sys/fs/cgroup/memory/kvcache-probe-$$; } 2>/dev/null \
    || limits=()
  scripts/container-run.sh "${limits[@]}" "${args[@]}" > "$log" 2>&1 &
  client_java="$jdk25/bin/java"
else
  java -XX:MaxDirectMemorySize=1152m -XX:+ExitOnOutOfMemoryError -jar "$jar" "${args[@]}" > "$log" 2>&1 &
  client_java=java
fi
runner=$!
trap 'kill $runner 2>/dev/null || true; wait $runner 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
  curl -fs -o /dev/null "127.0.0.1:$port/actuator/health/readiness" && break
  kill -0 $runner 2>/dev/null || { echo "stress: the service died on start-up" >&2; tail -n 30 "$log" >&2; exit 1; }
  sleep 0.25
done
echo "stress: $(grep -o 'Cache budget [^)]*)' "$log" | head -n 1); $clients clients for $seconds s, seed $seed"

metric() { # name [tag] → value
  curl -fs "127.0.0.1:$port/actuator/metrics/$1${2:+?tag=$2}" | sed -E 's/.*"value":([0-9.Ee+-]+).*/\1/' \
    | awk '{ printf "%.0f", $1 }'
}

filled=0
for _ in $(seq 1 30); do # full: evicting, the budget reached
  [[ $(metric cache.evictions) -gt 0 ]] && break
  FILL_MODE=put FILL_FROM=$filled FILL_KEY_LENGTH=16 wrk -t1 -c16 -d1s -s bench/fill.lua "http://127.0.0.1:$port" \
    > target/stress-fill.out
  filled=$((filled + $(sed -n 's/^RESULT //p' target/stress-fill.out | awk '{ print $5 }')))
done
echo "stress: filled with $filled entries of 16/256 characters; $(metric cache.evictions) evicted"

status=0
"$client_java" scripts/StressClients.java "$port" "$clients" "$seconds" "$seed" || status=1

budget=$(metric cache.memory.budget)
used=$(metric cache.memory.used)
evictions=$(metric cache.evictions)
forced=$(metric cache.offheap.evictions)
committed=$(metric cache.offheap.committed)
live=$(metric cache.offheap.used)
echo "stress: budget $budget, used $used; evictions $evictions, of which forced $forced;" \
  "off-heap memory $committed for entries of $live"
if [[ "$evictions" -eq 0 ]]; then
  echo "stress: FAIL the cache never evicted: the run did not fill it" >&2; status=1
fi
if [[ "$forced" -gt 0 ]]; then
  echo "stress: FAIL evictions were forced: the newest writes could have been dropped" >&2; status=1
fi
if [[ "$committed" -gt "$budget" || "$used" -gt "$budget" ]]; then
  echo "stress: FAIL the segments and the index took more than the budget" >&2; status=1
fi
if grep -q 'java.lang.OutOfMemoryError\| ERROR \|Exception' "$log"; then
  echo "stress: FAIL the service logged an error:" >&2; grep -m 5 'java.lang.OutOfMemoryError\| ERROR \|Exception' "$log" >&2; status=1
fi
[[ $status -eq 0 ]] && echo "stress: PASS" || echo "stress: FAIL" >&2
exit $status
