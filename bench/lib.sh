# Shared by the bench scripts (sourced from the repository root): free loopback ports, waiting for an HTTP answer,
# and the generated GGUF models (TinyGgufTool, from `mvn install`'s test classes; the classpath is cached in $work).

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The three targets in round R's order: it rotates from round to round, so neither a backend that has idled nor a
# slow spell of the shared machine always lands on the same target.
round_order() { case $(( ($1 - 1) % 3 )) in 0) echo "direct 1bit nginx" ;; 1) echo "1bit nginx direct" ;; *) echo "nginx direct 1bit" ;; esac; }
wait_http() { for _ in $(seq 300); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }

# tiny_gguf OUT [SEED EMBEDDING LAYERS CONTEXT]: writes a generated llama-architecture model.
tiny_gguf() {
  [ -f "$work/cp.txt" ] || mvn -q -B -o dependency:build-classpath -pl orchestrator -Dmdep.includeScope=test \
    -Dmdep.outputFile="$work/cp.txt" >/dev/null
  "$JAVA_HOME/bin/java" -cp "orchestrator/target/test-classes:orchestrator/target/classes:$(cat "$work/cp.txt")" \
    systems.onebit.orchestrator.testing.TinyGgufTool "$@"
}
