#!/usr/bin/env bash
# Where does kv-cache's CPU time go under load? Starts it as its image does (scripts/container-run.sh) with
# async-profiler (from Maven Central) attached, preloads the standard keys, drives the mixed workload with wrk
# and profiles it (CPU samples every 10 ms, all threads). Writes the stacks in collapsed form
# (target/profile/collapsed.txt, for flame graph tools) and prints the CPU a request takes, split by layer:
# socket reads and writes, the poller, the hand-off between threads, the servlet container, Spring MVC, our
# filters and handlers, JSON, metrics, the store, GC and JIT; then the hottest frames by self time.
# KVCACHE_JAR profiles another jar, e.g. bench/floor's (docs/performance.md, "Where the time goes").
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
read -r rps p50 p99 errors requests <<< "$(load "$mode" "$duration")"
agent stop,collapsed
sleep 1
grep -E '^\[.*;.* [0-9]+$' "$out/service.log" > "$out/collapsed.txt"
printf 'profile: %s at %s req/s, p50 %.2f ms, p99 %.2f ms, errors %s, %s samples\n' "$mode" "$rps" \
  "$(bc -l <<< "$p50/1000")" "$(bc -l <<< "$p99/1000")" "$errors" "$(awk '{ s += $NF } END { print s }' "$out/collapsed.txt")"

# CPU per request by layer: each sample is 10 ms of CPU. A sample of a collector or compiler thread, or with a
# GC barrier on its stack, is the JVM's; any other goes to the first layer found scanning from the leaf up, so
# that kernel time under a socket write counts as the write, and JDK code called by Jackson as JSON.
awk -v requests="$requests" '
  function layer(stack,   n, f, i, s) {
    if (stack ~ /G1|GC Thread|GCTaskThread|ParallelGC|PSScavenge|PSPromotion|SerialHeap|DefNewGeneration|WorkerThread::run|VM_GC|SafepointSynchronize|VMThread/) return "GC (collector threads and barriers)"
    if (stack ~ /CompileBroker|C2Compiler|Compiler::|Compile::|CompilerThread|PhaseIdealLoop|PhaseChaitin/) return "JIT compiler"
    n = split(stack, f, ";")
    for (i = n; i >= 1; i--) {
      s = f[i]
      if (s ~ /NioChannel.read|SocketChannelImpl.read|IOUtil.read|__GI_read|sock_read|tcp_recvmsg|ksys_read/) return "socket read (kernel and JDK)"
      if (s ~ /NioChannel.write|SocketChannelImpl.write|IOUtil.write|__GI_write|tcp_sendmsg|ksys_write|__libc_write/) return "socket write (kernel and JDK)"
      if (s ~ /epoll|EPoll|NioEndpoint\$Poller|processUpdateQueue|eventfd|Selector/) return "poller: epoll wait, interest updates, wake-ups"
      if (s ~ /futex|Unsafe.park|Unsafe.unpark|LockSupport|ForkJoinPool|ForkJoinWorkerThread|VirtualThread|Continuation|threadBuilderStart|schedule|finish_task_switch|try_to_wake_up|pthread_cond/) return "thread hand-off: virtual threads, park, unpark"
      if (s ~ /HttpRequestMetricsFilter|micrometer|HdrHistogram/) return "metrics (http.server.requests)"
      if (s ~ /dev[.\/]kvcache[.\/](cache|local)[.\/]/) return "the store"
      if (s ~ /jackson/) return "JSON (Jackson)"
      if (s ~ /dev[.\/]kvcache[.\/]/) return "our filters and handlers"
      if (s ~ /springframework/) return "Spring MVC dispatch"
      if (s ~ /org[.\/]apache[.\/](catalina|coyote|tomcat)|org[.\/]eclipse[.\/]jetty/) return "servlet container: HTTP parsing, request, response"
    }
    return "other (JDK, JVM, native)"
  }
  { samples = $NF; stack = $0; sub(/ [0-9]+$/, "", stack); total += samples; by[layer(stack)] += samples }
  END {
    printf "profile: %.1f us of CPU per request (%d samples of 10 ms over %d requests)\n", total * 10000 / requests, total, requests
    for (l in by) printf "%6.1f%%  %5.1f us  %s\n", 100 * by[l] / total, by[l] * 10000 / requests, l | "sort -rn"
  }
' "$out/collapsed.txt"
echo "profile: hottest frames by self time"
awk '{ n = split($0, f, ";"); sub(/ [0-9]+$/, "", f[n]); self[f[n]] += $NF; total += $NF }
  END { for (s in self) printf "%6.1f%%  %s\n", 100 * self[s] / total, s }' "$out/collapsed.txt" | sort -rn | head -n 25
echo "profile: stacks in $out/collapsed.txt"
