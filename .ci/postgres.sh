#!/usr/bin/env bash
# Makes sure a Postgres server answers, then prints on stdout the line that
# points the tests at it:
#
#   eval "$(.ci/postgres.sh)"    # export CHAOS_PG_DSN='postgres://...'
#
# A CHAOS_PG_DSN that already works is kept. Otherwise the local server is
# started (pg_ctlcluster), or installed first (apt-get install postgresql)
# where there is none, and the first DSN that connects is printed. Progress
# goes to stderr; stdout carries only the export line. Exit status 1 when no
# DSN works.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# works DSN: can we run a query with it?
works() { psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }

print() {
  log "using $1"
  echo "export CHAOS_PG_DSN='$1'"
  exit 0
}

install() {
  command -v pg_ctlcluster >/dev/null && command -v psql >/dev/null && return
  log "installing postgresql"
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
}

# port of the first cluster pg_lsclusters lists (5432 when it lists none).
port() {
  pg_lsclusters --no-header 2>/dev/null | awk 'NR == 1 { print $3 }' | grep . || echo 5432
}

start() {
  pg_isready -q -h 127.0.0.1 -p "$(port)" && return
  if [ -z "$(pg_lsclusters --no-header 2>/dev/null)" ]; then
    local version
    version=$(ls /usr/lib/postgresql | sort -n | tail -1)
    log "creating cluster $version/main"
    as_root pg_createcluster "$version" main >&2
  fi
  pg_lsclusters --no-header | while read -r version cluster _; do
    log "starting cluster $version/$cluster"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start >&2 || true
  done
  for _ in $(seq 60); do
    pg_isready -q -h 127.0.0.1 -p "$(port)" && return
    sleep 0.5
  done
  log "the server on 127.0.0.1:$(port) does not answer; see /var/log/postgresql/"
  exit 1
}

if [ -n "${CHAOS_PG_DSN:-}" ] && command -v psql >/dev/null && works "$CHAOS_PG_DSN"; then
  print "$CHAOS_PG_DSN"
fi

install
start

p=$(port)
for user in postgres root "$(id -un)"; do
  dsn="postgres://$user@127.0.0.1:$p/postgres?sslmode=disable"
  works "$dsn" && print "$dsn"
done

# A fresh install asks for a password over TCP: give the postgres user one,
# through the local socket, where it is trusted as the operating system's
# postgres user.
log "no password-less login; setting a password for the postgres role"
as_root runuser -u postgres -- psql -p "$p" -qc "ALTER ROLE postgres PASSWORD 'chaosrun'" >&2
dsn="postgres://postgres:chaosrun@127.0.0.1:$p/postgres?sslmode=disable"
works "$dsn" && print "$dsn"

log "no DSN works for the server on 127.0.0.1:$p"
exit 1
