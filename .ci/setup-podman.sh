#!/usr/bin/env bash
# Installs the packages the tests need (Podman and its helpers, shells, cmake and g++ for llama-server and the kernels,
# hipcc for the kernels' HIP compile check)
# and configures rootful Podman the way it works on these machines (runc, cgroupfs,
# file events, explicit ulimits: crun and the default ulimits fail here).
set -euo pipefail
need=()
for p in podman runc uidmap busybox-static catatonit hyperfine zsh fish shellcheck systemd dbus-daemon curl cmake g++ git; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi
# hipcc (ROCm's, with clang 15) for the kernels' HIP compile check; its recommends are not needed.
if ! dpkg -s hipcc >/dev/null 2>&1; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends hipcc
fi
hard_nofile=$(ulimit -Hn)
mkdir -p /etc/containers
cat > /etc/containers/containers.conf <<CONF
[containers]
default_ulimits = ["nofile=${hard_nofile}:${hard_nofile}", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
podman info --format '{{.Host.OCIRuntime.Name}} {{.Version.Version}}'
