#!/usr/bin/env bash
# The PostgreSQL target of docs/benchmarks.md, all in one go on one database server, so the
# ratios hold on a shared, noisy machine. Each run prints one JSON line:
#   pgbench -c 8 and -c 64   the hand-written baseline (bench/pgbench_transfer.sql)
#   ledger, in flight 64     croupier's ledger through its public service API (group commit),
#                            8 workers each keeping 64 transfers outstanding (a server process
#                            serving many requests); sync driver, then the asyncio driver
#   ledger, in flight 1      8 workers, one transfer at a time each (8 outstanding, as pgbench)
#   ledger, direct           group commit off: every transfer its own transaction
# and finally the ratios of the ledger to the baseline.
# Usage: bench/pg_ratio.sh [SERVER_URL] [SECONDS]   (needs pgbench and psql on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER="${1:-postgresql://postgres@127.0.0.1:5432/postgres}"
SECONDS_EACH="${2:-20}"
PLAYERS=10000
WORKERS=8
DB=croupier_bench
URL="${SERVER%/*}/$DB"
PY=.venv/bin/python

psql -q "$SERVER" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"

baseline() {  # clients
    psql -q "$URL" -v players=$PLAYERS -f bench/pgbench_setup.sql >/dev/null
    echo "pgbench baseline: $1 clients for ${SECONDS_EACH}s ..." >&2
    local tps
    tps=$(pgbench -n -c "$1" -j 2 -T "$SECONDS_EACH" -D players=$PLAYERS \
            -f bench/pgbench_transfer.sql "$URL" | awk '/^tps/ {print $3; exit}')
    echo "{\"benchmark\": \"pgbench_baseline\", \"clients\": $1, \"transfers_per_second\": $tps}"
}
ledger() { $PY bench/ledger.py --database-url "$URL" --seconds "$SECONDS_EACH" \
             --players $PLAYERS --workers $WORKERS "$@"; }

pg8=$(baseline 8); echo "$pg8"
pg64=$(baseline 64); echo "$pg64"
wide=$(ledger --in-flight 64); echo "$wide"
ledger --in-flight 64 --driver async
narrow=$(ledger --in-flight 1); echo "$narrow"
ledger --mode direct

$PY - "$pg8" "$pg64" "$wide" "$narrow" <<'PY'
import json, sys
pg8, pg64, wide, narrow = (json.loads(a)["transfers_per_second"] for a in sys.argv[1:])
print(json.dumps({
    "benchmark": "pg_ratio",
    "in_flight_64_over_pgbench_c8": round(wide / pg8, 2),
    "in_flight_64_over_pgbench_c64": round(wide / pg64, 2),
    "in_flight_1_over_pgbench_c8": round(narrow / pg8, 2),
}))
PY
psql -q "$SERVER" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
