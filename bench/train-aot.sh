#!/usr/bin/env bash
# Trains the Java 25 AOT cache (JEP 483/514) that bin/1bit uses when present: cli/target/1bit.aot.
# Usage: bench/train-aot.sh   (after mvn package)
set -euo pipefail
cd "$(dirname "$0")/.."
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
rm -f cli/target/1bit.aot
# Same flags as bin/1bit (the cache is only used when they match), plus the output file.
"$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss1m -XX:AOTCacheOutput=cli/target/1bit.aot \
  -jar cli/target/1bit.jar aot-train >/dev/null 2>&1 || true
test -s cli/target/1bit.aot || { echo "AOT cache was not written" >&2; exit 1; }
ls -l cli/target/1bit.aot
