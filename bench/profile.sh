#!/usr/bin/env bash
# Where does kv-cache's CPU time go under load? Starts it as its image does (scripts/container-run.sh) with
# async-profiler (from Maven Central) attached, preloads the standard keys, drives the mixed workload with wrk
# and profiles it (CPU samples every 10 ms, all threads). Writes the stacks in collapsed form
# (target/profile/collapsed.txt, for flame graph tools) and prints the share of samples by layer: the kernel
# (network I/O), the servlet container, Spring, Jackson, metrics, the cache, GC and JIT; then the hottest
# frames by self time.
#
#   bench/profile.sh [--mode mixed|get|put] [--duration 20] [-- extra kv-cache args]
set -euo pipefail
cd "$(dirname "$0")/.."

mode=mixed duration=20 port=7184 version=4.6
while [[ $# -gt 0 ]]; do
  case "$1" in
    --mode) mode="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
out=target/profile
mkdir -p "$out"
lib="$out/async-profiler-$version/libasyncProfiler.so"
if [[ ! -f "$lib" ]]; then
  curl -fsSL -o "$out/async-profiler.jar" \
    "https://repo.maven.apache.org/maven2/tools/profiler/async-profiler/$version/async-profiler-$version.jar"
  unzip -q -o -j "$out/async-profiler.jar" 'linux-x64/libasyncProfiler.so' -d "$(dirname "$lib")"
fi
[[ -f target/kv-cache.jar ]] || ./mvnw -B -q package -DskipTests

JAVA_TOOL_OPTIONS="-agentpath:$PWD/$lib" scripts/container-run.sh --memory 2g --server.port=$port "$@" \
  > "$out/service.log" 2>&1 &
runner=$!
trap 'kill $runner 2>/dev/null; wait $runner 2>/dev/null' EXIT
for _ in $(seq 1 120); do curl -fs -o /dev/null "localhost:$port/actuator/health/readiness" && break; sleep 0.25; done
java_pid=$(pgrep -P $runner | head -n 1)
java_home=$(dirname "$(dirname "$(readlink -f "/proc/$java_pid/exe")")")

load() { BENCH_MODE=$1 BENCH_OFFSET=${BENCH_OFFSET:-0} wrk -t1 -c64 -d"$2"s -s bench/kv.lua "http://127.0.0.1:$port" | sed -n 's/^RESULT //p'; }
preloaded=0
while [[ $preloaded -lt 10000 ]]; do # until every key has been put once
  read -r _ _ _ _ requests <<< "$(BENCH_OFFSET=$preloaded load preload 2)"
  preloaded=$((preloaded + requests))
done
for warm in get put mixed get put mixed; do load "$warm" 5 > /dev/null; done # JIT warm-up
# The agent is already loaded (JAVA_TOOL_OPTIONS); jcmd passes it commands. jcmd mangles arguments holding
# "=", so the commands use defaults only (CPU event, 10 ms) and the stacks go to the service's stdout.
agent() { "$java_home/bin/jcmd" "$java_pid" JVMTI.agent_load "$PWD/$lib" "$1" > /dev/null; }
agent start,threads
read -r rps p50 p99 errors _ <<< "$(load "$mode" "$duration")"
agent stop,collapsed
sleep 1
grep -E '^\[.*;.* [0-9]+$' "$out/service.log" > "$out/collapsed.txt"
printf 'profile: %s at %s req/s, p50 %.2f ms, p99 %.2f ms, errors %s, %s samples\n' "$mode" "$rps" \
  "$(bc -l <<< "$p50/1000")" "$(bc -l <<< "$p99/1000")" "$errors" "$(awk '{ s += $NF } END { print s }' "$out/collapsed.txt")"

# Each sample goes to the kernel when it was taken there, else to the first layer found scanning from the leaf
# up: time in JDK code called by Jackson counts as Jackson.
awk '
  function layer(stack) {
    if (stack ~ /^\[?(GC|G1|C1|C2|VM Thread|VM Periodic)|CompilerThread|^\[G1/) return "JVM: GC, JIT, VM threads"
    n = split(stack, f, ";")
    if (f[n] ~ /_\[k\]$/) return "kernel (network I/O, scheduling)"
    for (i = n; i >= 1; i--) {
      s = f[i]
      if (s ~ /caffeine|dev[.\/]kvcache[.\/]cache/) return "the cache (Caffeine, CacheService)"
      if (s ~ /jackson/) return "Jackson"
      if (s ~ /micrometer|[Oo]bservation/) return "metrics and observation"
      if (s ~ /dev[.\/]kvcache/) return "kv-cache web code"
      if (s ~ /springframework/) return "Spring (MVC, web, core)"
      if (s ~ /org[.\/]apache[.\/](catalina|coyote|tomcat)|org[.\/]eclipse[.\/]jetty/) return "servlet container"
    }
    return "other (JDK, native)"
  }
  { samples = $NF; stack = $0; sub(/ [0-9]+$/, "", stack); total += samples; by[layer(stack)] += samples }
  END { for (l in by) printf "%6.1f%%  %s\n", 100 * by[l] / total, l | "sort -rn"; }
' "$out/collapsed.txt"
echo "profile: hottest frames by self time"
awk '{ n = split($0, f, ";"); sub(/ [0-9]+$/, "", f[n]); self[f[n]] += $NF; total += $NF }
  END { for (s in self) printf "%6.1f%%  %s\n", 100 * self[s] / total, s }' "$out/collapsed.txt" | sort -rn | head -n 25
echo "profile: stacks in $out/collapsed.txt"
