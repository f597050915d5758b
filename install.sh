#!/usr/bin/env bash
# Installs 1bit: the launcher, the jars, systemd units, shell completions, the Open WebUI environment file and (in
# system mode) the memlock limit. Idempotent; a file you changed since it was installed is backed up, never lost.
#
#   ./install.sh [--user | --system] [--prefix DIR] [--root DIR] [--no-build] [--dry-run] [--uninstall]
#
#   --user       (default) ~/.local, systemd --user units in ~/.config/systemd/user
#   --system     /usr/local, units in /etc/systemd/system, /etc/security/limits.d/99-1bit-systems.conf
#   --prefix     where bin/ and lib/ go (default: ~/.local or /usr/local)
#   --root       install under this directory, as a package build would (DESTDIR); tests use it
#   --no-build   use the jars already built in cli/target (default: build with Maven when missing)
#   --dry-run    print every action, change nothing
#   --uninstall  remove what an earlier install put there
set -euo pipefail

mode=user prefix="" root="" dry=0 uninstall=0 build=1
die() { echo "install.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --user) mode=user ;;
    --system) mode=system ;;
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix=$2; shift ;;
    --root) [ $# -ge 2 ] || die "--root needs a directory"; root=${2%/}; shift ;;
    --no-build) build=0 ;;
    --dry-run) dry=1 ;;
    --uninstall) uninstall=1 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done

src=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
home=${HOME:?HOME is not set}
if [ "$mode" = user ]; then
  prefix=${prefix:-$home/.local}
  units=$home/.config/systemd/user
  config=${XDG_CONFIG_HOME:-$home/.config}/1bit
else
  prefix=${prefix:-/usr/local}
  units=/etc/systemd/system
  config=/etc/1bit
fi
libdir=$prefix/lib/1bit
manifest=$libdir/installed.sha256

run() { # prints the action; runs it unless --dry-run
  echo "+ $*"
  [ "$dry" = 1 ] || "$@"
}

sum() { sha256sum "$1" | cut -d' ' -f1; }

recorded() { # the checksum recorded for a destination at the last install, or nothing
  [ -f "$root$manifest" ] && awk -v f="$1" '$2 == f {print $1}' "$root$manifest" | tail -1
}

# put SOURCE DEST MODE: installs a file; a destination changed since the last install is backed up first.
put() {
  local from=$1 to=$2 perm=$3 dest=$root$2
  if [ -f "$dest" ]; then
    if cmp -s "$from" "$dest"; then echo "= $to (unchanged)"; record "$to" "$from"; return; fi
    local was; was=$(recorded "$to")
    if [ -z "$was" ] || [ "$was" != "$(sum "$dest")" ]; then
      run cp -p "$dest" "$dest.bak.$(date +%Y%m%d%H%M%S)"
    fi
  fi
  run mkdir -p "$(dirname "$dest")"
  run install -m "$perm" "$from" "$dest"
  record "$to" "$from"
}

new_manifest=$(mktemp)
trap 'rm -f "$new_manifest" "${tmpfiles[@]:-}"' EXIT
tmpfiles=()
record() { echo "$(sum "$2") $1" >>"$new_manifest"; }

# render TEMPLATE: a copy with the install paths filled in.
render() {
  local out; out=$(mktemp); tmpfiles+=("$out")
  sed -e "s|@BINDIR@|$prefix/bin|g" -e "s|@WEBUI_ENV@|$config/open-webui.env|g" -e "s|@FLM_ENV@|$config/flm.env|g" \
    -e "s|@FLM@|${flm:-/usr/bin/flm}|g" "$1" >"$out"
  echo "$out"
}

if [ "$uninstall" = 1 ]; then
  [ -f "$root$manifest" ] || die "nothing to uninstall: $root$manifest is missing"
  while read -r _ file; do
    [ -e "$root$file" ] && run rm -f "$root$file"
  done <"$root$manifest"
  run rm -f "$root$manifest" "$root$libdir/1bit.aot" "$root$libdir/1bit-fast.aot"
  for dir in "$libdir/lib" "$libdir"; do
    [ -d "$root$dir" ] && [ -z "$(ls -A "$root$dir")" ] && run rmdir "$root$dir"
  done
  echo "1bit uninstalled from $root$prefix"
  exit 0
fi

# Prerequisites, with what to do about each.
java=""
for candidate in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
  if [ -z "$candidate" ] || [ ! -x "$candidate" ]; then continue; fi
  major=$("$candidate" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  if [ "${major:-0}" -ge 25 ] 2>/dev/null; then java=$candidate; break; fi
done
[ -n "$java" ] || die "Java 25 or newer is needed: install a JDK 25 (e.g. Temurin) and set JAVA_HOME"
command -v podman >/dev/null || echo "install.sh: warning: podman is not installed; toolbox backends need it (sudo dnf install podman)" >&2

jar=$src/cli/target/1bit.jar
if [ ! -f "$jar" ]; then
  [ "$build" = 1 ] || die "$jar is missing: build with 'mvn -q package -DskipTests' or drop --no-build"
  run env JAVA_HOME="$(dirname "$(dirname "$java")")" mvn -q -B -f "$src/pom.xml" package -DskipTests
fi

for dep in "$src"/cli/target/lib/*.jar; do put "$dep" "$libdir/lib/$(basename "$dep")" 0644; done
put "$jar" "$libdir/1bit.jar" 0644

launcher=$(mktemp); tmpfiles+=("$launcher")
cat >"$launcher" <<LAUNCHER
#!/usr/bin/env bash
# 1bit launcher (installed by install.sh)
opts=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss1m -XX:-UsePerfData)
# Transparent huge pages for the heap where the kernel offers them (fewer page faults for a short command).
thp=""
if [ -r /sys/kernel/mm/transparent_hugepage/enabled ]; then read -r thp </sys/kernel/mm/transparent_hugepage/enabled || true; fi
case \$thp in *"[always]"* | *"[madvise]"*) opts+=(-XX:+UseTransparentHugePages) ;; esac
# The proxy runs for days: C2 for its hot paths, compiled early (few requests reach the usual thresholds); heap,
# young generation (its garbage dies young) and code cache capped.
[ "\${1:-}" = proxy ] && opts=(-XX:+UseSerialGC -Xss1m -XX:-UsePerfData -Xmx256m -Xmn32m -XX:ReservedCodeCacheSize=64m -XX:CompileThresholdScaling=0.05)
# JVM warnings go to stderr: stdout carries the --json documents.
opts+=(-Xlog:disable -Xlog:all=warning:stderr)
case \${1:-} in
  status | --version | -V | backends | complete-names | completion | webui | gaia) aot=$libdir/1bit-fast.aot ;;
  *) aot=$libdir/1bit.aot ;;
esac
if [ -f "\$aot" ] && [ "\$aot" -nt "$libdir/1bit.jar" ]; then opts+=("-XX:AOTCache=\$aot"); fi
exec "$java" "\${opts[@]}" -jar "$libdir/1bit.jar" "\$@"
LAUNCHER
put "$launcher" "$prefix/bin/1bit" 0755

# A lane's unit only where its program is installed: FastFlowLM (flm), a pip Open WebUI (the container needs none).
flm=$(command -v flm || true)
for unit in "$src"/systemd/*; do
  case $(basename "$unit") in
    1bit-flm.service) [ -n "$flm" ] || continue ;;
    open-webui.service) command -v open-webui >/dev/null || continue ;;
  esac
  put "$(render "$unit")" "$units/$(basename "$unit")" 0644
done
put "$src/completions/1bit.bash" "$prefix/share/bash-completion/completions/1bit" 0644
put "$src/completions/1bit.zsh" "$prefix/share/zsh/site-functions/_1bit" 0644
put "$src/completions/1bit.fish" "$prefix/share/fish/vendor_completions.d/1bit.fish" 0644

webui=$(mktemp); tmpfiles+=("$webui")
printf '# Open WebUI talks to the 1bit proxy\nOPENAI_API_BASE_URL=http://127.0.0.1:13306/v1\nOPENAI_API_KEY=none\n' >"$webui"
put "$webui" "$config/open-webui.env" 0644

if [ "$mode" = system ]; then
  limits=$(mktemp); tmpfiles+=("$limits")
  printf '# 1bit: large models need to lock memory on Strix Halo\n* soft memlock unlimited\n* hard memlock unlimited\n' >"$limits"
  put "$limits" /etc/security/limits.d/99-1bit-systems.conf 0644
fi

if [ "$dry" = 0 ]; then
  mkdir -p "$(dirname "$root$manifest")"
  sort -k2 -u "$new_manifest" >"$root$manifest"
  # The AOT cache is trained now, on this machine and this jar (JDK 25: -XX:AOTCacheOutput).
  if [ -z "$root" ]; then
    # Two caches: every command, and a small one for status/--version/completion (mapped faster at start-up).
    for set in full fast; do
      out=$libdir/1bit.aot
      [ "$set" = fast ] && out=$libdir/1bit-fast.aot
      "$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss1m -XX:AOTCacheOutput="$out" \
        -jar "$libdir/1bit.jar" aot-train "$set" >/dev/null 2>&1 || echo "install.sh: warning: AOT cache $out not trained" >&2
    done
  fi
else
  echo "+ write $manifest"
fi
echo "1bit installed to $root$prefix ($mode mode)"
if [ "$mode" = user ]; then
  echo "next: systemctl --user daemon-reload && systemctl --user enable --now 1bit-proxy.service"
else
  echo "next: sudo systemctl daemon-reload && sudo systemctl enable --now 1bit-proxy.service"
fi
