#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages when its server programs are missing, for tests/postgres.rs (which
# starts a throwaway server itself with `initdb` and `pg_ctl`, found under /usr/lib/postgresql/*/bin). CI calls it
# before `cargo test`; run it once on a machine where that test says PostgreSQL is missing.
set -euo pipefail

if compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; then
  echo "PostgreSQL is installed: $(ls -d /usr/lib/postgresql/*/bin/initdb | tail -n 1)"
  exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y postgresql
ls -d /usr/lib/postgresql/*/bin/initdb
