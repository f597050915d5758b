#!/usr/bin/env bash
# Installs the packages the tests need (Podman and its helpers, shells, Chromium for the status page, cmake and g++ for
# llama-server and the kernels,
# clang 19 and the HIP headers for the kernels' gfx1151 build)
# and configures rootful Podman the way it works on these machines (runc, cgroupfs,
# file events, explicit ulimits: crun and the default ulimits fail here).
set -euo pipefail
# install_missing [APT OPTION...] -- PACKAGE...: apt-get install of those not installed yet.
install_missing() {
  local opts=() need=() p
  while [ "$1" != "--" ]; do opts+=("$1"); shift; done
  shift
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${opts[@]}" "${need[@]}"
  fi
}
install_missing -- podman runc uidmap busybox-static catatonit hyperfine zsh fish shellcheck systemd dbus-daemon curl chromium \
  cmake g++ git
# The kernels' HIP build for gfx1151: Debian's clang 19 (its clang 15/16 predate gfx1151) with the LLVM tools,
# lld and compiler-rt it needs, and the HIP 5.2 headers, runtime and device libraries; recommends not needed.
install_missing --no-install-recommends -- clang-19 lld-19 llvm-19 clang-tools-19 libclang-rt-19-dev libamdhip64-dev \
  rocm-device-libs
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
