#!/usr/bin/env bash
# Install everything spinspice needs on Debian (bookworm) as root, idempotently:
#   - ngspice >= 46 with KLU and OSDI (+ libngspice0, libngspice0-dev) from bookworm-backports
#   - python3 with venv, a virtual environment in ./.venv, spinspice with all extras
# Usage: bash scripts/install.sh [--dev]     (--dev adds the test and lint tools)
set -euo pipefail
cd "$(dirname "$0")/.."

EXTRAS="all"
if [[ "${1:-}" == "--dev" ]]; then EXTRAS="dev"; fi

log() { printf '[spinspice install] %s\n' "$*" >&2; }
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    log "run as root (apt-get is needed for ngspice)"; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive

ngspice_version() {
  command -v ngspice >/dev/null 2>&1 || { echo 0; return; }
  ngspice --version 2>/dev/null | sed -n 's/.*ngspice-\([0-9][0-9]*\).*/\1/p' | head -n1 | grep . || echo 0
}

have_pkgs() {
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || return 1; done
}

enable_backports() {
  local codename="$1"
  if grep -rqsE "^[^#]*${codename}-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    return 0
  fi
  local deb822=/etc/apt/sources.list.d/debian.sources
  if [[ -f $deb822 ]] && grep -qE "^Suites: ${codename} ${codename}-updates\$" "$deb822"; then
    log "enabling ${codename}-backports in $deb822"
    $SUDO sed -i "s/^Suites: ${codename} ${codename}-updates\$/& ${codename}-backports/" "$deb822"
    return 0
  fi
  # Otherwise: reuse the mirror already configured for the main suite (no host is named here).
  local uri="" keyring="/usr/share/keyrings/debian-archive-keyring.gpg"
  if [[ -f $deb822 ]]; then
    uri=$(awk '/^URIs:/{print $2; exit}' "$deb822")
  fi
  if [[ -z $uri && -f /etc/apt/sources.list ]]; then
    uri=$(awk -v c="$codename" '$1=="deb" && $0 ~ " "c" " {for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
  fi
  if [[ -z $uri ]]; then
    log "cannot find the Debian mirror in the apt sources; add ${codename}-backports by hand"; exit 1
  fi
  log "adding ${codename}-backports from $uri"
  $SUDO tee /etc/apt/sources.list.d/spinspice-backports.sources >/dev/null <<EOS
Types: deb
URIs: $uri
Suites: ${codename}-backports
Components: main
Signed-By: $keyring
EOS
}

# ---------------------------------------------------------------- system packages
PKGS=(ngspice libngspice0 libngspice0-dev)
if [[ $(ngspice_version) -ge 46 ]] && have_pkgs "${PKGS[@]}"; then
  log "ngspice $(ngspice_version) already installed"
else
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  if [[ $codename == "bookworm" ]]; then
    enable_backports "$codename"
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q -t "${codename}-backports" "${PKGS[@]}"
  else
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q "${PKGS[@]}"
  fi
  v=$(ngspice_version)
  if [[ $v -lt 46 ]]; then
    log "ngspice $v installed, but spinspice needs >= 46 (KLU + OSDI); on bookworm it comes from bookworm-backports"
    exit 1
  fi
  log "ngspice $v installed"
fi

PY=${PYTHON:-python3}
if ! command -v "$PY" >/dev/null 2>&1 || ! "$PY" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  log "installing python3 with venv"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q python3 python3-venv python3-pip
  PY=python3
fi

# ---------------------------------------------------------------- Python environment
if [[ ! -x .venv/bin/python ]]; then
  log "creating .venv"
  "$PY" -m venv .venv
fi
stamp=".venv/.spinspice-installed-${EXTRAS}"
want=$(cat pyproject.toml | sha256sum | cut -c1-16)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  log "Python packages up to date (.venv, extras: $EXTRAS)"
else
  log "installing spinspice[$EXTRAS] into .venv"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".[$EXTRAS]"
  echo "$want" > "$stamp"
fi
log "done: run .venv/bin/spinspice --help (or .venv/bin/spinspice doctor)"
