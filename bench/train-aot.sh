#!/usr/bin/env bash
# Trains the Java 25 AOT caches (JEP 483/514) that bin/1bit uses when present: cli/target/1bit.aot for every
# command, and cli/target/1bit-fast.aot for the quick read-only ones (a smaller cache is mapped faster at start-up).
# Usage: bench/train-aot.sh   (after mvn package)
set -euo pipefail
cd "$(dirname "$0")/.."
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
jar=$PWD/cli/target/1bit.jar
for set in full fast; do
  out=cli/target/1bit.aot
  [ "$set" = fast ] && out=cli/target/1bit-fast.aot
  rm -f "$out"
  # Same flags and jar path as bin/1bit (the cache is only used when they match), plus the output file.
  "$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss1m -XX:AOTCacheOutput="$out" \
    -jar "$jar" aot-train "$set" >/dev/null 2>&1 || true
  test -s "$out" || { echo "AOT cache $out was not written" >&2; exit 1; }
  ls -l "$out"
done
