#!/usr/bin/env bash
# Soak test: the standard mixed workload (bench/kv.lua: 10,000 UUID keys, 256-character values, 50% puts and
# 50% gets of random keys) at a steady rate for a long while, against kv-cache started as its image runs it
# (scripts/container-run.sh, 2 GiB and 2 CPUs).
#
#   scripts/soak.sh [--minutes 10] [--rate 12000] [--interval 30] [--connections 64] [--port 7231]
#                   [-- extra kv-cache args]
#
# Every key is put once first, then a 30 s warm-up at the rate, then one wrk run per interval, back to back, each
# paced at the rate (BENCH_RATE). One row per interval: requests, rate reached, socket errors, non-2xx answers,
# misses (404s: every key exists after the preload, so a 404 is a miss), latency percentiles of the interval, and
# the server's state sampled just after it: heap after a full GC (jcmd GC.run, then the Actuator's
# jvm.memory.used for the heap and for the old generation, which after a full GC holds exactly what is live),
# live platform threads (jvm.threads.live) and RSS. The first and last samples are taken with no load.
# Fails (exit 1) if any request failed or missed, if the heap after GC at the end is more than 10% above the
# start, if live threads grew by more than 3, or if an interval fell below 95% of the rate.
# Needs wrk, curl and JDK 25 (jcmd); builds target/kv-cache.jar if missing. Takes minutes + about 1.5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
name=soak

minutes=10 rate=12000 interval=30 connections=64 port=7231
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --interval) interval="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "soak: unknown option $1" >&2; exit 2 ;;
  esac
done
extra=("$@")
intervals=$(( (minutes * 60 + interval - 1) / interval ))

out=target/soak
rm -rf "$out" && mkdir -p "$out"
log="$out/server.log"
base="http://127.0.0.1:$port"
for tool in wrk curl; do command -v "$tool" >/dev/null || { echo "soak: needs $tool" >&2; exit 2; }; done
jdk25=$(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null | head -n 1 || true)
jcmd="${jdk25:+$jdk25/bin/}jcmd"

runner="" load=""
cleanup() {
  [[ -z "$load" ]] || kill "$load" 2>/dev/null || true
  if [[ -n "$runner" ]]; then kill "$runner" 2>/dev/null || true; wait "$runner" 2>/dev/null || true; fi
}
trap cleanup EXIT

kv_start "$log" --server.port="$port" --kvcache.shutdown.drain=0s "${extra[@]}"

metric() { # name [tag...] → value
  local query="" tag
  for tag in "${@:2}"; do query+="${query:+&}tag=$tag"; done
  curl -fs "$base/actuator/metrics/$1${query:+?$query}" | sed -n 's/.*"statistic":"VALUE","value":\([0-9.E+-]*\).*/\1/p'
}
sample() { # → "heap_mb old_mb threads rss_mb"
  "$jcmd" "$pid" GC.run > /dev/null
  local heap old threads rss
  heap=$(metric jvm.memory.used area:heap)
  old=$(metric jvm.memory.used area:heap id:G1%20Old%20Gen)
  threads=$(metric jvm.threads.live)
  rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
  awk -v h="$heap" -v o="$old" -v t="$threads" -v r="$rss" \
    'BEGIN { printf "%.1f %.1f %d %d\n", h / 1048576, o / 1048576, t, r / 1024 }'
}
segment() { # name seconds → runs one paced wrk into $out/<name>.txt
  BENCH_MODE=mixed BENCH_RATE=$rate wrk -t1 -c"$connections" -d"$2"s --timeout 5s -s bench/kv.lua "$base" \
    > "$out/$1.txt" 2>&1
}

echo "soak: $(date -u +%FT%TZ), kv-cache pid $pid on port $port; mixed 50/50, 10,000 keys, $rate req/s" \
  "over $connections connections, $intervals intervals of ${interval}s"
echo "soak: preloaded every key ($(kv_preload) puts); warming up for 30 s"

total_requests=0 total_errors=0 total_non2xx=0 total_misses=0 slow=0
printf '\n| interval | end (s) | requests | req/s | socket errors | non-2xx | misses | p50 ms | p99 ms | p99.9 ms | max ms | heap after GC MB (old gen) | threads | RSS MB |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
row() { # name label end_s sample...
  local name=$1 label=$2 end_s=$3 heap=$4 old=$5 threads=$6 rss=$7
  local rps p50 p99 errors requests connect rd wr timeout non2xx misses p999 max
  read -r rps p50 p99 errors requests <<< "$(sed -n 's/^RESULT //p' "$out/$name.txt")"
  read -r connect rd wr timeout non2xx misses p999 max <<< "$(sed -n 's/^STATUS //p' "$out/$name.txt")"
  if [[ -z "$requests" || -z "$non2xx" ]]; then
    echo "soak: wrk gave no result for $name: $(tail -n 3 "$out/$name.txt")" >&2; exit 1
  fi
  awk -v l="$label" -v e="$end_s" -v n="$requests" -v r="$rps" -v se=$((connect + rd + wr + timeout)) \
    -v s="$non2xx" -v m="$misses" -v a="$p50" -v b="$p99" -v c="$p999" -v x="$max" -v h="$heap" -v o="$old" \
    -v t="$threads" -v rss="$rss" 'BEGIN {
      printf "| %s | %s | %d | %d | %d | %d | %d | %.2f | %.2f | %.2f | %.1f | %.1f (%.1f) | %d | %d |\n",
        l, e, n, r, se, s, m, a / 1000, b / 1000, c / 1000, x / 1000, h, o, t, rss }'
  total_requests=$((total_requests + requests))
  total_errors=$((total_errors + connect + rd + wr + timeout))
  total_non2xx=$((total_non2xx + non2xx))
  total_misses=$((total_misses + misses))
  if [[ $label != warm-up ]] && awk -v r="$rps" -v t="$rate" 'BEGIN { exit !(r < 0.95 * t) }'; then
    slow=$((slow + 1))
  fi
}

segment warmup 30
read -r heap0 old0 threads0 rss0 <<< "$(sample)"
row warmup warm-up 0 "$heap0" "$old0" "$threads0" "$rss0"
started=$(date +%s)
segment_pid() { segment "$1" "$interval" & load=$!; }
segment_pid 1
for i in $(seq 1 "$intervals"); do
  wait "$load"
  load=""
  end_s=$(( $(date +%s) - started ))
  if [[ $i -lt $intervals ]]; then
    segment_pid $((i + 1)) # the next interval starts at once: the load stays steady while this one is sampled
  fi
  read -r heap old threads rss <<< "$(sample)"
  row "$i" "$i" "$end_s" "$heap" "$old" "$threads" "$rss"
done
heap1=$heap old1=$old threads1=$threads rss1=$rss

echo
echo "soak: $total_requests requests in $(( $(date +%s) - started )) s after the warm-up; socket errors $total_errors," \
  "non-2xx $total_non2xx, misses $total_misses (warm-up included)"
echo "soak: heap after GC $heap0 -> $heap1 MB (old generation $old0 -> $old1 MB), live threads $threads0 -> $threads1," \
  "RSS $rss0 -> $rss1 MB (start and end sampled with no load)"
failed=0
check() { if ! eval "$1"; then echo "soak: FAIL: $2" >&2; failed=1; fi; }
check '[[ $total_errors -eq 0 ]]' "$total_errors socket errors"
check '[[ $total_non2xx -eq 0 ]]' "$total_non2xx non-2xx answers"
check '[[ $total_misses -eq 0 ]]' "$total_misses misses"
check 'awk -v a="$heap0" -v b="$heap1" "BEGIN { exit !(b <= a * 1.10) }"' "heap after GC grew from $heap0 to $heap1 MB"
check '[[ $threads1 -le $((threads0 + 3)) ]]' "live threads grew from $threads0 to $threads1"
check '[[ $slow -eq 0 ]]' "$slow interval(s) below 95% of $rate req/s"
grep -E 'java.lang.OutOfMemoryError| ERROR ' "$log" && check false "errors in the server log $log"
[[ $failed -eq 0 ]] || exit 1
echo "soak: passed; server log $log, wrk output in $out/"
