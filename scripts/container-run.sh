#!/usr/bin/env bash
# Runs kv-cache the way its Docker image does, with no Docker engine: the jar's layers extracted as in the
# Dockerfile's build stage, the Dockerfile's ENV lines exported, and its ENTRYPOINT (the same java flags and
# main class) started on JDK 25 from the extracted folder.
#
#   scripts/container-run.sh [--memory 2g] [--cpus 2] [--data DIR] [application args...]
#   KVCACHE_JAR=other.jar scripts/container-run.sh ...     (default: target/kv-cache.jar)
#   KVCACHE_DOCKERFILE=other/Dockerfile ...                 (another ENTRYPOINT to measure; default: Dockerfile)
#
# --memory / --cpus start the JVM inside a cgroup (v1) of its own with that memory limit and CPU quota, which
# is what `docker run -m 2g --cpus 2` does; the cgroup is removed on exit. Application args go after the main
# class, as with `docker run kv-cache --kvcache.ttl=1m`; JVM options go in JAVA_TOOL_OPTIONS, as with
# `docker run -e JAVA_TOOL_OPTIONS=...`. Needs root for the cgroup. The image's volume /data (where the cache's
# snapshot lives) is DIR with --data, as with `docker run -v DIR:/data`, else a folder of this run, removed on
# exit (a container without a volume).
set -euo pipefail
cd "$(dirname "$0")/.."

memory="" cpus="" data=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --memory) memory="$2"; shift 2 ;;
    --cpus) cpus="$2"; shift 2 ;;
    --data) data="$(mkdir -p "$2" && readlink -f "$2")"; shift 2 ;;
    *) break ;;
  esac
done

java_home="${KVCACHE_JAVA_HOME:-$(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null | head -n 1 || true)}"
java="${java_home:+$java_home/bin/}java"
if ! "$java" -version 2>&1 | grep -q 'version "25'; then
  echo "container-run: needs JDK 25 like the image (set KVCACHE_JAVA_HOME); found: $("$java" -version 2>&1 | head -n 1)" >&2
  exit 2
fi

jar="${KVCACHE_JAR:-target/kv-cache.jar}" # another build of the jar, to compare two side by side
[[ -f "$jar" ]] || ./mvnw -B -q package -DskipTests
work="target/container/$$"
layers="$work/layers" app="$work/app"
rm -rf "$layers" "$app" && mkdir -p "$app"
"$java" -Djarmode=tools -jar "$jar" extract --layers --launcher --destination "$layers" >/dev/null
for layer in dependencies spring-boot-loader snapshot-dependencies application; do
  cp -r "$layers/$layer/." "$app/"
done

# The image's command line, read from the Dockerfile so that the two cannot drift apart.
dockerfile="${KVCACHE_DOCKERFILE:-Dockerfile}"
while IFS='=' read -r name value; do export "$name=$value"; done \
  < <(sed -n 's/^ENV \([A-Z_]*\)=\(.*\)$/\1=\2/p' "$dockerfile")
if [[ "${KVCACHE_SNAPSHOT_DIR:-}" == /data ]]; then # the image's volume
  export KVCACHE_SNAPSHOT_DIR="${data:-$PWD/$work/data}"
  mkdir -p "$KVCACHE_SNAPSHOT_DIR"
fi
read -r -a command <<< "$(sed -n 's/^ENTRYPOINT \[\(.*\)\]$/\1/p' "$dockerfile" | tr -d '",')"
command[0]="$java"
echo "container-run: ${command[*]} $*" >&2

cgroups=()
cleanup() {
  [[ -n "${child:-}" ]] && kill "$child" 2>/dev/null && wait "$child" 2>/dev/null
  for cg in "${cgroups[@]}"; do rmdir "$cg" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

if [[ -n "$memory" ]]; then
  cg=/sys/fs/cgroup/memory/kvcache-$$
  mkdir -p "$cg" && cgroups+=("$cg")
  echo "$memory" > "$cg/memory.limit_in_bytes"
  echo 0 > "$cg/memory.swappiness" 2>/dev/null || true
fi
if [[ -n "$cpus" ]]; then
  cg=/sys/fs/cgroup/cpu/kvcache-$$
  mkdir -p "$cg" && cgroups+=("$cg")
  echo 100000 > "$cg/cpu.cfs_period_us"
  echo "$(awk -v c="$cpus" 'BEGIN { printf "%d", c * 100000 }')" > "$cg/cpu.cfs_quota_us"
fi

(
  for cg in "${cgroups[@]}"; do echo "$BASHPID" > "$cg/cgroup.procs"; done
  cd "$app" && exec "${command[@]}" "$@"
) &
child=$!
set +e
wait "$child"
status=$?
child=""
if [[ -n "$memory" && -f "/sys/fs/cgroup/memory/kvcache-$$/memory.oom_control" ]] \
    && grep -q '^oom_kill [1-9]' "/sys/fs/cgroup/memory/kvcache-$$/memory.oom_control"; then
  echo "container-run: the kernel OOM-killed the JVM (memory limit $memory)" >&2
fi
exit "$status"
