#!/usr/bin/env bash
# Installs Redis from Debian's packages when its server program is missing, for tests/it/redis.rs (which starts a
# throwaway `redis-server` itself, on a free port in a temporary directory). CI calls it before `cargo test`; run it
# once on a machine where that test says Redis is missing. Idempotent.
set -euo pipefail

if command -v redis-server > /dev/null; then
  echo "Redis is installed: $(command -v redis-server)"
  exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends redis-server
command -v redis-server
