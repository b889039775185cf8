#!/usr/bin/env bash
# Side-by-side HTTP benchmark: kv-cache against its reference peers, same machine, same load, same run.
#   - nginx answering a fixed JSON body (the HTTP ceiling here),
#   - go-echo, the original Go/Echo design (../shared/peers/go-echo),
#   - kv-cache, started exactly as its Docker image does (scripts/container-run.sh, in a 2 GiB cgroup).
# For each target and run: start it alone, put every key once, warm up (30 s through all three workloads, for
# the JIT), then drive GET-only, PUT-only and
# 50/50 mixes with wrk (10,000 UUID keys, 256-character values; see bench/kv.lua). Prints requests/s, p50,
# p99, errors and the server's CPU time per request, per target and workload (medians over the runs), and
# kv-cache's ratios to the peers.
#
#   bench/bench.sh [--runs 2] [--duration 10] [--warmup 30] [--connections 64] [--threads 1]
#                  [--targets "nginx go-echo kv-cache"] [--no-build] [--gatling] [--baseline-jar JAR]
#                  [--baseline-dockerfile FILE]
#                  [-- extra kv-cache args]
#
# Two more targets: kv-baseline, kv-cache from another jar (--baseline-jar, e.g. the previous commit's build,
# started with the ENTRYPOINT of --baseline-dockerfile if given, e.g. that commit's Dockerfile and its flags),
# to show a change's effect in one run; kv-cluster, member 1 of a three-member cluster (kvcache.mode=cluster,
# all three started as the image starts them, on this same machine), to show the cost of the network hop
# and of the synchronous backups. Its CPU figure counts member 1 only. And kv-auth, kv-cache with access control
# on (kvcache.auth.token set, every request carrying the token), to show what it costs. And kv-floor, the least
# Spring MVC service (bench/floor: one controller answering nginx's fixed body, kv-cache's application.properties,
# started as the image starts kv-cache), to show what Spring MVC on Tomcat costs before kv-cache does anything;
# kv-floor-jetty, the same on Jetty; kv-floor-plain, the same with a plain HttpRequestHandler in place of the
# annotated controller.
#
# --gatling drives each target with the Gatling standard workload (gatling/, KvCacheSimulation: 10,000 UUID
# keys, 50/50 puts and gets, --connections users, --duration seconds after a 30 s run to warm up) instead of
# wrk, and prints its requests/s, p50, p95 and p99. nginx is left out: it cannot pass the simulation's checks.
#
# Installs what it needs from Debian (wrk, nginx-light, golang-go, the Echo library) when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=2 duration=10 warmup=30 connections=64 threads=1 build=1 gatling=0 baseline_jar="" baseline_dockerfile=""
targets="nginx go-echo kv-cache"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --baseline-jar) baseline_jar="$(readlink -f "$2")"; shift 2 ;;
    --baseline-dockerfile) baseline_dockerfile="$(readlink -f "$2")"; shift 2 ;;
    --gatling) gatling=1; targets="${targets/nginx/}"; shift ;;
    --) shift; break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
kv_args=("$@")
if [[ $gatling -eq 1 && " $targets " == *" kv-auth "* ]]; then
  echo "bench: the Gatling simulations send no token: drop kv-auth from --targets" >&2; exit 2
fi

out=target/bench
mkdir -p "$out"
results="$out/results.tsv"
: > "$results"
declare -A port=([nginx]=7183 [go-echo]=7182 [kv-cache]=7181 [kv-baseline]=7180 [kv-cluster]=7185 [kv-auth]=7186 [kv-floor]=7187 [kv-floor-jetty]=7188 [kv-floor-plain]=7189)
auth_token=bench-token-0123456789abcdef # kv-auth's; only ever sent over loopback

install() {
  [[ $(id -u) -eq 0 ]] || { echo "bench: missing $*; install it (as root: apt-get install $*)" >&2; exit 2; }
  echo "bench: installing $* from Debian" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@") >/dev/null
}
command -v wrk >/dev/null || install wrk
command -v curl >/dev/null || install curl
if [[ " $targets " == *" nginx "* ]]; then
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || install nginx-light
fi
if [[ " $targets " == *" go-echo "* ]]; then
  [[ -d /usr/share/gocode/src/github.com/labstack/echo ]] && command -v go >/dev/null \
    || install golang-go golang-github-labstack-echo-dev
  peer=../shared/peers/go-echo/main.go
  [[ -f "$peer" ]] || { echo "bench: no $peer; drop go-echo from --targets" >&2; exit 2; }
  GOPATH=/usr/share/gocode GO111MODULE=off GOCACHE="$PWD/$out/gocache" go build -o "$out/go-echo" "$peer"
fi
if [[ " $targets " == *" kv-"* && $build -eq 1 ]]; then
  ./mvnw -B -q package -DskipTests
fi
if [[ " $targets " == *" kv-floor"[\ -]* ]] && [[ $build -eq 1 || ! -f bench/floor/target/kv-floor.jar ]]; then
  ./mvnw -B -q -f bench/floor/pom.xml package
fi
if [[ " $targets " == *" kv-floor-jetty "* ]] && [[ $build -eq 1 || ! -f bench/floor/target/kv-floor-jetty.jar ]]; then
  ./mvnw -B -q -f bench/floor/pom.xml -Pjetty package
fi

pid=""
start() { # target → sets pid, waits until it answers
  local target=$1 p=${port[$1]} log="$out/$1.log"
  case "$target" in
    nginx)
      mkdir -p "$out/nginx"
      sed "s#PORT#$p#; s#PREFIX#$PWD/$out/nginx#g" bench/nginx.conf > "$out/nginx/nginx.conf"
      /usr/sbin/nginx -c "$PWD/$out/nginx/nginx.conf" -g 'daemon off;' > "$log" 2>&1 &
      pid=$! ;;
    go-echo)
      PORT=$p "$out/go-echo" > "$log" 2>&1 &
      pid=$! ;;
    kv-cache)
      scripts/container-run.sh --memory 2g --server.port="$p" "${kv_args[@]}" > "$log" 2>&1 &
      pid=$! ;;
    kv-auth)
      scripts/container-run.sh --memory 2g --server.port="$p" --kvcache.auth.token="$auth_token" "${kv_args[@]}" \
        > "$log" 2>&1 &
      pid=$! ;;
    kv-floor|kv-floor-jetty)
      KVCACHE_JAR=bench/floor/target/$target.jar scripts/container-run.sh --memory 2g --server.port="$p" \
        > "$log" 2>&1 &
      pid=$! ;;
    kv-floor-plain)
      KVCACHE_JAR=bench/floor/target/kv-floor.jar scripts/container-run.sh --memory 2g --server.port="$p" \
        --floor.handler=plain > "$log" 2>&1 &
      pid=$! ;;
    kv-baseline)
      [[ -n "$baseline_jar" ]] || { echo "bench: kv-baseline needs --baseline-jar" >&2; exit 2; }
      KVCACHE_JAR="$baseline_jar" KVCACHE_DOCKERFILE="${baseline_dockerfile:-Dockerfile}" \
        scripts/container-run.sh --memory 2g --server.port="$p" "${kv_args[@]}" \
        > "$log" 2>&1 &
      pid=$! ;;
    kv-cluster)
      local cluster=(--kvcache.mode=cluster --kvcache.cluster.bind-address=127.0.0.1
        --kvcache.cluster.members=127.0.0.1:7291,127.0.0.1:7292,127.0.0.1:7293
        --kvcache.cluster.name=bench-kv-cluster)
      for member in 2 3; do
        scripts/container-run.sh --memory 2g --server.port=$((p + member * 100)) --kvcache.cluster.port=729$member \
          "${cluster[@]}" "${kv_args[@]}" > "$out/$1-$member.log" 2>&1 &
        others+=($!)
      done
      scripts/container-run.sh --memory 2g --server.port="$p" --kvcache.cluster.port=7291 "${cluster[@]}" \
        "${kv_args[@]}" > "$log" 2>&1 &
      pid=$!
      for _ in $(seq 1 240); do # all three joined and every entry backed up
        curl -s "http://127.0.0.1:$p/actuator/metrics/cache.cluster.members" | grep -q '"value":3.0' \
          && curl -fs -o /dev/null "http://127.0.0.1:$p/actuator/health/readiness" && break
        sleep 0.5
      done ;;
  esac
  for _ in $(seq 1 120); do
    curl -s -o /dev/null "http://127.0.0.1:$p/get?key=ping" && return 0
    kill -0 "$pid" 2>/dev/null || { echo "bench: $target died on start-up, see $log" >&2; exit 1; }
    sleep 0.25
  done
  echo "bench: $target did not answer within 30 s, see $log" >&2
  exit 1
}

others=()
stop() {
  for other in "${others[@]}"; do kill "$other" 2>/dev/null || true; wait "$other" 2>/dev/null || true; done
  others=()
  [[ -n "$pid" ]] || return 0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
}
trap stop EXIT

cpu_ticks() { # CPU time (user + system, in clock ticks) of the target's process tree so far
  local pids=("$pid") i=0
  while [[ $i -lt ${#pids[@]} ]]; do
    mapfile -t -O "${#pids[@]}" pids < <(pgrep -P "${pids[$i]}")
    i=$((i + 1))
  done
  for p in "${pids[@]}"; do awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null; done | awk '{ s += $1 } END { print s + 0 }'
}
hz=$(getconf CLK_TCK)

load() { # target mode seconds [offset] → prints "rps p50_us p99_us errors requests"
  local token=""
  [[ $1 != kv-auth ]] || token=$auth_token
  BENCH_TOKEN=$token BENCH_MODE=$2 BENCH_OFFSET=${4:-0} wrk -t"$threads" -c"$connections" -d"$3"s --timeout 5s -s bench/kv.lua \
    "http://127.0.0.1:${port[$1]}" | sed -n 's/^RESULT //p'
}

gatling_run() { # target seconds → prints "rps p50_ms p95_ms p99_ms failed requests"
  local log="$out/gatling-$1.log"
  ./mvnw -B -f gatling/pom.xml gatling:test -DbaseUrl="http://127.0.0.1:${port[$1]}" -Dusers="$connections" \
    -Dduration="$2" -Dramp=2 -Dp99Ms=10000 > "$log" 2>&1 || true
  # The console prints the global table several times while running; the last one is the final one.
  awk -F'|' 'function n(field) { gsub(/[ ,]/, "", field); return field == "-" ? 0 : field }
    /---- Global Information/ { on = 1 }
    on && /^> request count/ { total = n($2); ko = n($4) }
    on && /^> response time 50th/ { p50 = n($2) } on && /^> response time 95th/ { p95 = n($2) }
    on && /^> response time 99th/ { p99 = n($2) } on && /^> mean throughput/ { rps = n($2) }
    END { printf "%.0f %s %s %s %s %s\n", rps, p50, p95, p99, ko, total }' "$log"
}

if [[ $gatling -eq 1 ]]; then
  ./mvnw -B -q -f gatling/pom.xml test-compile
  for run in $(seq 1 "$runs"); do
    for target in $targets; do
      start "$target"
      gatling_run "$target" 30 > /dev/null # the JIT's warm-up, and Gatling's own
      read -r rps p50 p95 p99 failed requests <<< "$(gatling_run "$target" "$duration")"
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$target" "$rps" "$p50" "$p95" "$p99" "$failed" >> "$results"
      echo "bench: run $run $target: $requests requests, $rps req/s, p50 $p50 ms, p95 $p95 ms, p99 $p99 ms, failed $failed" >&2
      stop
    done
  done
  awk -F'\t' 'function median(list,   n, a, i, j, t) {
      n = split(list, a, " ")
      for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    { r[$2] = r[$2] " " $3; p50[$2] = p50[$2] " " $4; p95[$2] = p95[$2] " " $5; p99[$2] = p99[$2] " " $6; f[$2] += $7 }
    END { print "\n| Gatling KvCacheSimulation | requests/s | p50 ms | p95 ms | p99 ms | failed |\n|---|---|---|---|---|---|"
      for (t in r) printf "| %s | %d | %s | %s | %s | %d |\n", t, median(r[t]), median(p50[t]), median(p95[t]), median(p99[t]), f[t] }' "$results"
  exit 0
fi

echo "bench: $(date -u +%FT%TZ), $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)),"\
  "wrk -t$threads -c$connections, ${duration}s per workload, $runs run(s), targets: $targets" >&2
for run in $(seq 1 "$runs"); do
  for target in $targets; do
    start "$target"
    preloaded=0
    while [[ $preloaded -lt 10000 ]]; do # until every key has been put once
      read -r _ _ _ errors requests <<< "$(load "$target" preload 2 "$preloaded")"
      preloaded=$((preloaded + requests))
    done
    # Warm-up through every workload twice: the JIT compiles each path only once it has run it a while.
    for mode in get put mixed get put mixed; do load "$target" "$mode" $((warmup / 6)) > /dev/null; done
    for mode in get put mixed; do
      before=$(cpu_ticks)
      read -r rps p50 p99 errors requests <<< "$(load "$target" "$mode" "$duration")"
      # The server's CPU time per request: steadier than requests/s on a shared machine, whose steal time
      # slows everything down but is not charged to the process.
      cpu_us=$(( ($(cpu_ticks) - before) * 1000000 / hz / requests ))
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$target" "$mode" "$rps" "$p50" "$p99" "$errors" "$cpu_us" \
        >> "$results"
      printf 'bench: run %s %-8s %-5s %8s req/s  p50 %6.2f ms  p99 %6.2f ms  errors %s  cpu %3s us/req\n' "$run" \
        "$target" "$mode" "$rps" "$(bc -l <<< "$p50/1000")" "$(bc -l <<< "$p99/1000")" "$errors" "$cpu_us" >&2
    done
    stop
  done
done

# Medians over the runs, then kv-cache's ratios to each peer: requests/s and p99 as peer/kv-cache (>1 is
# better), CPU per request as kv-cache/peer (<1 is better).
awk -F'\t' -v targets="$targets" '
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { k = $2 SUBSEP $3; rps[k] = rps[k] " " $4; p50[k] = p50[k] " " $5; p99[k] = p99[k] " " $6; err[k] += $7
    cpu[k] = cpu[k] " " $8 }
  END {
    nt = split(targets, t, " ")
    printf "\n| workload | target | requests/s | p50 ms | p99 ms | errors | server CPU µs/request |\n|---|---|---|---|---|---|---|\n"
    split("get put mixed", modes, " ")
    for (m = 1; m <= 3; m++) for (i = 1; i <= nt; i++) {
      k = t[i] SUBSEP modes[m]
      if (!(k in rps)) continue
      R[k] = median(rps[k]); P[k] = median(p99[k]); C[k] = median(cpu[k])
      printf "| %s | %s | %d | %.2f | %.2f | %d | %d |\n", toupper(modes[m]), t[i], R[k], median(p50[k]) / 1000, P[k] / 1000, err[k], C[k]
    }
    for (i = 1; i <= nt; i++) {
      if (t[i] == "kv-cache") continue
      line = ""
      for (m = 1; m <= 3; m++) {
        a = "kv-cache" SUBSEP modes[m]; b = t[i] SUBSEP modes[m]
        if ((a in R) && (b in R) && R[b] > 0 && P[a] > 0)
          line = line sprintf("  %s %.2fx (p99 %.2fx, CPU/request %.2fx)", toupper(modes[m]), R[a] / R[b], P[b] / P[a], C[a] / C[b])
      }
      if (line != "") printf "\nkv-cache / %s:%s\n", t[i], line
    }
  }' "$results"
echo "bench: raw figures in $results" >&2
