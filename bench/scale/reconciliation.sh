#!/bin/bash
# A period's reconciliation at scale on PostgreSQL: 1,000,000 paid orders (one every 10 s, about 116 days), each a capture
# entry and a succeeded capture instruction; every 10th refunded (an entry that owes, one that sends, and its instruction).
# Timed over HTTP with a build before the change and one after it, on the same database (the second's start builds
# its indexes). Usage: bench/scale/reconciliation.sh BEFORE_DIR AFTER_DIR, each a worktree with a Release build of
# src/Safehold.Web; this repo built (Debug) and `dotnet tool restore` done, for `dotnet ef`; PostgreSQL on 127.0.0.1
# with the role safehold (README, "Tests"). Results: docs/benchmarks.md.
set -e
REPO=$(cd "$(dirname "$0")/../.." && pwd)
BEFORE=$1; AFTER=$2
DB=safehold_recon
CS="Host=127.0.0.1;Port=5432;Username=safehold;Password=safehold;Database=$DB"
export PGPASSWORD=safehold
P="psql -h 127.0.0.1 -U safehold -d $DB -X -q"
runuser -u postgres -- dropdb --if-exists $DB
cd "$REPO/src/Safehold.Web"
# The schema before ReconciliationIndexes, so the build before the change finds its own indexes.
dotnet ef database update LedgerInstants --context PostgresSafeholdDb --connection "$CS" --no-build > /tmp/recon-ef.log 2>&1
$P <<'SQL'
\timing on
CREATE TEMP TABLE o AS SELECT g, ('00000000-0000-0000-0000-' || lpad(to_hex(g), 12, '0'))::uuid AS id,
  timestamptz '2026-12-01' - g * interval '10 seconds' AS t FROM generate_series(1, 1000000) g;
INSERT INTO "JournalEntries" ("Id", "DedupeKey", "Kind", "OrderId", "At")
SELECT gen_random_uuid(), 'order:' || id || ':capture', 'capture', id, t FROM o;
INSERT INTO "JournalEntries" ("Id", "DedupeKey", "Kind", "OrderId", "At")
SELECT gen_random_uuid(), 'order:' || id || ':refund', 'refund', id, t + interval '1 hour' FROM o WHERE g % 10 = 0;
-- The domain would key the sending entry with the version its success made (sent:2 here); sent:1 is as the runs of record
-- were made, and is as much one of the instruction's movement keys (PaymentInstruction.MovementKeys).
INSERT INTO "JournalEntries" ("Id", "DedupeKey", "Kind", "OrderId", "At")
SELECT gen_random_uuid(), 'order:' || id || ':refund:sent:1', 'refund_sent', id, t + interval '61 minutes' FROM o WHERE g % 10 = 0;
INSERT INTO "JournalLines" ("EntryId", "LineNumber", "Account", "AccountType", "OrderId", "SellerId", "Currency", "Amount", "At")
SELECT e."Id", 1, CASE e."Kind" WHEN 'capture' THEN 'payment_clearing' WHEN 'refund' THEN 'escrow:' || e."OrderId" ELSE 'refunds_owed' END,
  CASE e."Kind" WHEN 'capture' THEN 'PaymentClearing' WHEN 'refund' THEN 'Escrow' ELSE 'RefundsOwed' END, e."OrderId", NULL, 'USD', -500, e."At"
FROM "JournalEntries" e;
INSERT INTO "JournalLines" ("EntryId", "LineNumber", "Account", "AccountType", "OrderId", "SellerId", "Currency", "Amount", "At")
SELECT e."Id", 2, CASE e."Kind" WHEN 'capture' THEN 'escrow:' || e."OrderId" WHEN 'refund' THEN 'refunds_owed' ELSE 'refunds_out' END,
  CASE e."Kind" WHEN 'capture' THEN 'Escrow' WHEN 'refund' THEN 'RefundsOwed' ELSE 'RefundsOut' END, e."OrderId", NULL, 'USD', 500, e."At"
FROM "JournalEntries" e;
INSERT INTO "PaymentInstructions" ("Id", "Amount", "Attempts", "CompletedAt", "CreatedAt", "Currency", "IdempotencyKey", "Kind", "NextAttemptAt", "OrderId", "Status", "Version", "CaptureReference", "ProviderReference")
SELECT gen_random_uuid(), 500, 1, t, t, 'USD', 'order:' || id || ':capture', 'Capture', t, id, 'Succeeded', 2, NULL, 'ch_' || g FROM o;
INSERT INTO "PaymentInstructions" ("Id", "Amount", "Attempts", "CompletedAt", "CreatedAt", "Currency", "IdempotencyKey", "Kind", "NextAttemptAt", "OrderId", "Status", "Version", "CaptureReference", "ProviderReference")
SELECT gen_random_uuid(), 500, 1, t + interval '61 minutes', t + interval '1 hour', 'USD', 'order:' || id || ':refund', 'Refund', t + interval '1 hour', id, 'Succeeded', 2, 'ch_' || g, 're_' || g FROM o WHERE g % 10 = 0;
VACUUM ANALYZE "JournalEntries";
VACUUM ANALYZE "JournalLines";
VACUUM ANALYZE "PaymentInstructions";
SELECT (SELECT count(*) FROM "JournalEntries") entries, (SELECT count(*) FROM "JournalLines") lines, (SELECT count(*) FROM "PaymentInstructions") instructions;
SQL
time_it() { # $1 tag, $2 build dir
  cd $2
  local START=$(date +%s.%N)
  Safehold__AdminApiKey=sh_local_admin_key_0123456789 dotnet src/Safehold.Web/bin/Release/net10.0/Safehold.Web.dll --urls http://127.0.0.1:5097 \
    --Safehold:Sandbox=false --Safehold:Payments:Provider=external --Safehold:Database:Provider=postgres "--ConnectionStrings:Safehold=$CS" \
    --Logging:LogLevel:Default=Warning > /tmp/recon-host-$1.log 2>&1 &
  local HOST=$!
  for i in $(seq 1 900); do curl -s -o /dev/null http://127.0.0.1:5097/health/live && break; sleep 0.2; done
  echo "== $1 ($(git rev-parse --short HEAD)): live after $(echo "$(date +%s.%N) - $START" | bc) s"
  for period in "from=2026-11-15&to=2026-11-16" "from=2026-11-01&to=2026-12-01"; do
    for i in 1 2 3 4 5; do
      curl -s -o /tmp/recon-$1.json -w "$period %{http_code} %{time_total} s\n" -H "Authorization: Bearer sh_local_admin_key_0123456789" "http://127.0.0.1:5097/api/v1/reconciliation?$period"
    done
    python3 -c "import json;r=json.load(open('/tmp/recon-$1.json'));c=r['currencies'][0];print('  ok',r['ok'],'mismatches',r['mismatchCount'],'captured',c['ledger']['capturedIn']['amount'],'instructed',c['instructions']['captured'],'refunded',c['instructions']['refunded']['amount'],'owed',c['ledger']['refundsOwed']['amount'])"
  done
  kill $HOST; wait $HOST || true
}
time_it before "$BEFORE"
time_it after "$AFTER"
$P -c "SELECT indexrelname, pg_size_pretty(pg_relation_size(indexrelid)) FROM pg_stat_user_indexes WHERE relname IN ('JournalLines', 'PaymentInstructions') ORDER BY 1"
