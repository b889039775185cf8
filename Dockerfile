# kv-cache container image: build with the Maven wrapper on JDK 25, run from Spring Boot's extracted layers on a
# JRE 25, as a non-root user.
#   docker build -t kv-cache .
#   docker run -p 7171:7171 kv-cache
# No Docker engine runs in CI: scripts/container-run.sh runs this file's ENTRYPOINT (the same java command
# and flags) on the host instead, so keep the ENTRYPOINT a one-line JSON array.

FROM eclipse-temurin:25-jdk AS build
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn .mvn
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -q dependency:go-offline
COPY src src
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -q package -DskipTests \
 && java -Djarmode=tools -jar target/kv-cache.jar extract --layers --launcher --destination target/extracted

FROM eclipse-temurin:25-jre
RUN groupadd --system kvcache && useradd --system --gid kvcache --no-create-home kvcache \
 && mkdir /data && chown kvcache:kvcache /data
WORKDIR /app
# Least to most often changed, so that a code change rebuilds only the last layer.
COPY --from=build /src/target/extracted/dependencies/ ./
COPY --from=build /src/target/extracted/spring-boot-loader/ ./
COPY --from=build /src/target/extracted/snapshot-dependencies/ ./
COPY --from=build /src/target/extracted/application/ ./
USER kvcache
EXPOSE 7171
# glibc's per-thread malloc arenas add native memory that a 2 GiB limit cannot spare.
ENV MALLOC_ARENA_MAX=2
# Warm restart: the cache is written to /data at shutdown and read back at start (docs/operations.md), so that
# `docker restart` and `docker run -v kvdata:/data` keep it. KVCACHE_SNAPSHOT_DIR= (empty) turns it off.
ENV KVCACHE_SNAPSHOT_DIR=/data
VOLUME /data
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/7171 && printf "GET /actuator/health/liveness HTTP/1.0\r\n\r\n" >&3 && grep -q "\"UP\"" <&3'
# The entries, their index and the eviction policy's ghosts live off the heap, in direct memory (docs/memory.md): up
# to 1568 MiB of it holds kvcache.max-memory's default of 1536MB and the JDK's and Tomcat's buffers. The heap holds
# only the service (Spring, Tomcat, requests, and up to server.tomcat.max-connections connections): 5.5% of the
# container's memory, but never below the JVM's floor of 126 MiB, which is what a 2 GiB container gets; a heap without
# entries needs no tuning for them, so G1 keeps its defaults but two: in a heap this small (25 MB old, 77 MB
# committed) its adaptive IHOP started a concurrent mark every second or so, full or empty, and each ended in a remark
# of 10 to 45 ms, most of it unloading classes that a service loading its classes once never drops; with a fixed
# IHOP (45% of the heap) and no class unloading at remark, marks are rare and remarks short (docs/performance.md).
# Metaspace (44 MiB), code (25), the CDS archive and
# libjvm (31), malloc'd JVM structures and G1's take the rest: about 210 MiB with the heap G1 commits (docs/memory.md).
# TrimNativeHeapInterval gives back, every 10 s, the native memory the JVM frees (C2 compiles in arenas of up to
# 34 MB, which glibc otherwise keeps: 33 MiB of RSS in a full cache). For another container size scale
# MaxDirectMemorySize and KVCACHE_MAX_MEMORY with it. A cluster member (KVCACHE_MODE=cluster) runs this same command
# line: Infinispan keeps its entries off the heap too, in native memory it takes with malloc (not direct memory) up to
# the same budget (docs/cluster.md); on JDK 22+ it calls malloc through the foreign-function API, which
# --enable-native-access allows without a warning. Compact object headers save 4 bytes on every object. On
# OutOfMemoryError the process exits so that the orchestrator restarts it.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=5.5", "-XX:MaxDirectMemorySize=1568m", "-XX:+UseG1GC", "-XX:-G1UseAdaptiveIHOP", "-XX:-ClassUnloadingWithConcurrentMark", "-XX:+UseCompactObjectHeaders", "-XX:TrimNativeHeapInterval=10000", "-XX:+ExitOnOutOfMemoryError", "--enable-native-access=ALL-UNNAMED", "org.springframework.boot.loader.launch.JarLauncher"]
