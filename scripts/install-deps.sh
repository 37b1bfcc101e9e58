#!/usr/bin/env bash
# Installs what Marina needs from Debian and from npm, and only what is missing, so that a second run
# costs one dpkg query and two stat calls. Usage: scripts/install-deps.sh [--with-podman]
# (--with-podman is for the benchmarks, which run podman side by side; `npm run up` does not need it.)
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian package → why Marina needs it.
packages=(
  runc           # the OCI runtime
  conmon         # keeps each container's stdio and exit code while marinad restarts
  busybox-static # the image `marina image seed busybox` builds, without a registry
  iptables       # published ports and network isolation
  iproute2       # veth pairs and bridges (ip)
  util-linux     # mount, nsenter, unshare, setsid
  attr           # setfattr: overlay whiteouts and opaque dirs in layers
  gcc            # builds dist/marina-attach (conmon's attach socket is SOCK_SEQPACKET)
  libc6-dev
  skopeo         # registry tests and bench/registry: a real OCI client pushing to and pulling from marina's registry
  docker-registry # registry tests and bench/registry: the CNCF distribution registry, the reference marina is measured against
  openssl        # --registry-tls-self-signed makes the registry's certificate with it
  xz-utils       # marina build: ADD auto-extracts local .tar.xz archives, as Docker does
  bzip2          # marina build: the same for .tar.bz2
  buildah        # bench/build: the builder `marina build` is measured against
  conntrack      # Services: a UDP endpoint that leaves has its conntrack entries dropped, as kube-proxy does
  wrk            # bench/services: the HTTP load generator run from a client pod
  docker-compose # Docker API tests: compose 1.29 (docker-py) drives marinad's Docker socket; apt-get runs with
                 # --no-install-recommends, so its Recommends (docker.io, a whole dockerd) are not pulled in
)
# The Docker API tests and bench/docker-api drive marinad with the real docker CLI. A static one in
# /usr/local/bin (docker CLI 28) is preferred; otherwise Debian's docker.io provides /usr/bin/docker, and
# its daemon must never start here: policy-rc.d below forbids starting services while it installs, and
# the service is masked after it (docker.socket would start dockerd on first use of /run/docker.sock).
command -v docker >/dev/null || packages+=(docker.io)
for arg in "$@"; do
  case "$arg" in
    --with-podman) packages+=(podman) ;;
    *) echo "install-deps: unknown argument '$arg' (known: --with-podman)" >&2; exit 2 ;;
  esac
done

missing_packages() {
  # One dpkg-query for all of them; it exits 1 when any was never installed, which is an answer, not a failure.
  local installed
  installed=$( (dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null || true) | awk '$2 == "ii" { print $1 }')
  for p in "${packages[@]}"; do
    grep -qx -- "$p" <<<"$installed" || echo "$p"
  done
}

mapfile -t missing < <(missing_packages)
if ((${#missing[@]} > 0)); then
  if [[ $EUID -ne 0 ]]; then
    echo "install-deps: missing Debian packages: ${missing[*]}" >&2
    echo "install-deps: run this script as root, or install them yourself: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Exit code 101 from policy-rc.d = "action forbidden": no package may start a service (dockerd, containerd).
  policy=/usr/sbin/policy-rc.d
  own_policy=false
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=true
  fi
  apt_rc=0
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || apt_rc=$?
  if $own_policy; then rm -f "$policy"; fi
  ((apt_rc == 0)) || exit "$apt_rc"
  # Only a docker.io this run installed: a dockerd someone set up on purpose is left alone.
  if [[ " ${missing[*]} " == *" docker.io "* ]] && command -v systemctl >/dev/null; then
    systemctl mask --now docker.service docker.socket containerd.service >/dev/null 2>&1 || true
  fi
  mapfile -t still_missing < <(missing_packages)
  if ((${#still_missing[@]} > 0)); then
    echo "install-deps: apt-get did not install: ${still_missing[*]}" >&2
    exit 1
  fi
fi

# npm ci writes node_modules/.package-lock.json; when the lockfile is newer, node_modules is stale.
if [[ ! -e node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json || ! -x node_modules/.bin/node ]]; then
  if ! command -v npm >/dev/null; then
    echo "install-deps: npm is not installed; install Node.js with npm (any version ≥ 20: it only bootstraps; Marina runs on the Node 24 that npm ci puts in node_modules)" >&2
    exit 1
  fi
  if [[ -e package-lock.json ]]; then
    echo "install-deps: npm ci (node_modules is missing or older than package-lock.json)"
    if ! ci_log=$(npm ci --no-audit --no-fund --loglevel=error 2>&1); then
      # Seen here: the registry mirror lacks biome's non-Linux binaries, so the lockfile cannot list them
      # and npm ci calls it out of sync. npm install keeps the lockfile's versions; say if it did not.
      echo "install-deps: npm ci failed:" >&2
      grep '^npm error .' <<<"$ci_log" | grep -v '^npm error code' | head -n 3 >&2 || true
      echo "install-deps: falling back to npm install" >&2
      lock_before=$(sha256sum package-lock.json)
      npm install --no-audit --no-fund --loglevel=error
      if [[ $(sha256sum package-lock.json) != "$lock_before" ]]; then
        echo "install-deps: npm install changed package-lock.json: check the change and commit it" >&2
      fi
    fi
  else
    echo "install-deps: npm install (there is no package-lock.json yet)"
    npm install --no-audit --no-fund --loglevel=error
  fi
fi
if ! node_modules/.bin/node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)'; then
  echo "install-deps: node_modules/.bin/node is not Node 24 ($(node_modules/.bin/node -v)); remove node_modules and run this script again" >&2
  exit 1
fi
