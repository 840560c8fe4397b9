#!/bin/sh
# System packages the benchmarks use beyond the tests' (scripts/system-deps.sh), from
# Debian's registry: wrk, the C load generator of the web benchmark (without it the
# benchmark falls back to a Python load generator that competes with the server for the
# two cores, which measures the generator more than the server).
# Skipped (with a note) where present or apt is not available.
set -eu
command -v wrk >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: wrk"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
else
    echo "note: missing wrk (not root or no apt); the web benchmark uses its Python load generator" >&2
fi
