#!/usr/bin/env bash
# Installs the Debian packages the real-server system tests need: NSD (authoritative), unbound
# (validating resolver), ldnsutils (keygen, signing, DS, ldns-dane), bind9-dnsutils (dig, delv),
# Postfix (a real STARTTLS peer; posttls-finger), openssl (s_client), iproute2 (the test MX address),
# Dovecot (IMAP) and wabt (wat2wasm: the committed WebAssembly of dsar find is its source, assembled).
# Idempotent: does nothing when every package is already installed. Needs root to install.
set -euo pipefail

PACKAGES=(nsd unbound ldnsutils bind9-dnsutils postfix openssl iproute2 dovecot-core dovecot-imapd wabt)
# Binaries the tests run; checked after installing, as a half-configured package can still say "installed".
TOOLS=(nsd unbound ldns-keygen ldns-signzone ldns-key2ds ldns-dane dig delv postfix posttls-finger openssl ip unshare doveconf wat2wasm)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

MISSING=()
for p in "${PACKAGES[@]}"; do
  installed "$p" || MISSING+=("$p")
done

if [ "${#MISSING[@]}" -eq 0 ]; then
  echo "setup: ${PACKAGES[*]} already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages (${MISSING[*]}) and not root: run this script as root" >&2
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
# Postfix asks what kind of mail system this is; the tests run private instances with their own
# main.cf, so the system one stays unconfigured (no /etc/postfix/main.cf, nothing listening).
if command -v debconf-set-selections >/dev/null 2>&1; then
  echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
fi
apt-get update -q
apt-get install -y -q --no-install-recommends "${MISSING[@]}"

# The packages enable their units for the next boot even though policy-rc.d kept them from starting
# now. Disable only the ones this script installed: a resolver someone set up on purpose stays as it was.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  for p in "${MISSING[@]}"; do
    case "$p" in
      nsd | unbound | postfix) systemctl disable --now "$p" >/dev/null 2>&1 || true ;;
      dovecot-core) systemctl disable --now dovecot >/dev/null 2>&1 || true ;;
    esac
  done
fi

for t in "${TOOLS[@]}"; do
  if ! command -v "$t" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$t" ]; then
    echo "setup: $t still missing after installing ${MISSING[*]}" >&2
    exit 1
  fi
done
echo "setup: installed ${MISSING[*]}"
