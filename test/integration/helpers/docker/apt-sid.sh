#!/usr/bin/env bash
# A private apt for Debian sid: its own sources, lists, cache and an empty dpkg status under
# APTDIR; only the system's archive keyring is read. The system's apt sources and state are never
# touched, and nothing is installed: packages are downloaded, then unpacked with dpkg-deb -x.
# Usage: APTDIR=<dir> apt-sid.sh <apt-get|apt-cache> args...
set -euo pipefail
: "${APTDIR:?set APTDIR to the private apt directory}"
mkdir -p "$APTDIR"/{lists/partial,archives/partial,preferences.d}
cat > "$APTDIR/sid.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
[ -f "$APTDIR/status" ] || : > "$APTDIR/status"
tool=$1; shift
exec "$tool" \
  -o Dir::Etc::SourceList="$APTDIR/sid.sources" -o Dir::Etc::SourceParts=/dev/null \
  -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts="$APTDIR/preferences.d" \
  -o Dir::State="$APTDIR" -o Dir::State::Lists="$APTDIR/lists" -o Dir::State::status="$APTDIR/status" \
  -o Dir::Cache="$APTDIR" -o Dir::Cache::archives="$APTDIR/archives" \
  -o Dir::Cache::pkgcache="" -o Dir::Cache::srcpkgcache="" \
  -o APT::Architecture=amd64 -o APT::Architectures::=amd64 -o Acquire::Languages=none \
  -o APT::Sandbox::User=root -o DPkg::Lock::Timeout=600 "$@"
