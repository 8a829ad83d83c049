#!/usr/bin/env bash
# Installs the system packages the embedded node is made of (Debian/Ubuntu, as root).
# Idempotent: installs only what is missing. The run itself does the same when it can; CI calls
# this first so that a missing package fails here, with apt's own message.
set -euo pipefail
# crun: the OCI runtime of the runc -> crun upgrade check. apt-get and dpkg-deb (always there)
# fetch and unpack containerd 1.7 (the default) and 2.1 into the harness's own cache
# (lib/runtime/runtime-cache.ts), checking the index against debian-archive-keyring (always on
# Debian; named for the machines where it is not).
packages=(containerd runc crun containernetworking-plugins catatonit busybox-static iproute2 debian-archive-keyring)
# The node-in-container tests (test/integration/node-container*): a private Docker engine, the
# node image recipe (mmdebstrap) and the runc wrapper that engine needs here (jq).
packages+=(docker.io mmdebstrap jq)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "ci/bootstrap: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # docker.io's maintainer scripts would start a system dockerd (its bridge, its NAT) where a service
  # manager runs: the tests start a private one. Nothing may start during this install.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "ci/bootstrap: system packages present (${packages[*]})"
