#!/usr/bin/env bash
# Makes sure the PostgreSQL server the outbox and inbox specs use answers on 127.0.0.1:5432 and has
# the database `test` (MELANGE_TEST_DATABASE_URL points the specs elsewhere). The machine's
# service is started before a session; this starts it again if it stopped.
set -euo pipefail

if [ -n "${MELANGE_TEST_DATABASE_URL:-}" ]; then
  echo "== PostgreSQL: the specs use MELANGE_TEST_DATABASE_URL"
  exit 0
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "== PostgreSQL does not answer on 127.0.0.1:5432; starting the machine's cluster"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432
if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1; then
  createdb -h 127.0.0.1 -U postgres test
fi
echo "== PostgreSQL: $(psql -h 127.0.0.1 -U postgres -d test -tAc 'SHOW server_version'), database test"
