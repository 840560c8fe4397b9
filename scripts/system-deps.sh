#!/bin/sh
# System packages the tests use, from Debian's registry: Chromium for the
# browser tests, PostgreSQL for the compliance desk's multi-user tests and a
# Java runtime for the Spark tests.
# Skipped (with a note) where they are present or apt is not available.
set -eu
need=""
[ -x /usr/bin/chromium ] || need="$need chromium"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$need postgresql"
# Java for the Spark tests (PySpark 4 runs on Java 17+)
command -v java >/dev/null 2>&1 || need="$need default-jre-headless"
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages:$need"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
else
    echo "note: missing$need (not root or no apt); the tests that need them will skip" >&2
fi
