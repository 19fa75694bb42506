#!/usr/bin/env bash
# Install the system programs kcourse needs, by the command each one provides.
#   scripts/system-deps.sh dot                 -> Graphviz (for `make lab`)
#   scripts/system-deps.sh dot chromium etcd kubectl -> everything `make test` drives
# As root on Debian/Ubuntu the packages are installed with apt-get; otherwise a
# one-line instruction says what to install, and the script fails.
set -u
declare -A PKG=( [dot]=graphviz [chromium]="chromium chromium-driver" [etcd]="etcd-server etcd-client" [kubectl]=kubernetes-client )
declare -A BIN=( [dot]=dot [chromium]=chromium [etcd]=etcd [kubectl]=kubectl )
missing=()
for want in "$@"; do
  command -v "${BIN[$want]}" >/dev/null 2>&1 || missing+=("${PKG[$want]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
pkgs="${missing[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "kcourse: installing system packages: $pkgs"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null; }; then
    echo "kcourse: could not install '$pkgs'; install them with your package manager and run again." >&2
    exit 1
  fi
  exit 0
fi
echo "kcourse: missing system packages; please run: sudo apt-get install $pkgs   (conda users: conda env create -f environment.yml)" >&2
exit 1
