#!/usr/bin/env bash
# Installs the Debian packages the real-server DNS system test needs: NSD (authoritative),
# unbound (validating resolver), ldnsutils (keygen, signing, DS) and bind9-dnsutils (dig, delv).
# Idempotent: does nothing when every tool is already present. Needs root to install.
set -euo pipefail

PACKAGES=(nsd unbound ldnsutils bind9-dnsutils)
# One binary per package: dpkg status alone can say "installed" for a half-configured package.
TOOLS=(nsd unbound ldns-signzone dig)

missing_tools() {
  local t
  for t in "${TOOLS[@]}"; do
    if ! command -v "$t" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$t" ]; then
      printf '%s\n' "$t"
    fi
  done
}

if [ -z "$(missing_tools)" ]; then
  echo "setup: nsd, unbound, ldnsutils and bind9-dnsutils already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing tools ($(missing_tools | tr '\n' ' ')) and not root; install: ${PACKAGES[*]}" >&2
  exit 1
fi

# Keep the stock daemons from starting during installation: the tests run their own instances on
# free loopback ports, and a system NSD or unbound on port 53 would only get in the way.
POLICY=/usr/sbin/policy-rc.d
BACKUP=""
if [ -e "$POLICY" ]; then
  BACKUP="$(mktemp)"
  cp -p "$POLICY" "$BACKUP"
fi
restore_policy() {
  if [ -n "$BACKUP" ]; then
    cp -p "$BACKUP" "$POLICY"
    rm -f "$BACKUP"
  else
    rm -f "$POLICY"
  fi
}
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' >"$POLICY"
chmod 755 "$POLICY"

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"

# Some packages enable their units for the next boot even when policy-rc.d stops them starting now;
# a system resolver on port 53 is not wanted on a test machine. Best effort: no systemd in containers.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now nsd unbound >/dev/null 2>&1 || true
fi

if [ -n "$(missing_tools)" ]; then
  echo "setup: still missing after install: $(missing_tools | tr '\n' ' ')" >&2
  exit 1
fi
echo "setup: installed ${PACKAGES[*]}"
