#!/usr/bin/env bash
# Runs every test: the whole suite on SQLite (the portal's browser tests drive Debian's chromium, which .ci/run
# installs), then the web tests again on PostgreSQL.
#
#   ./test.sh
#
# PostgreSQL is the server in SAFEHOLD_TEST_POSTGRES (an Npgsql connection string; default: the local
# cluster on 127.0.0.1:5432 as user safehold, password safehold, who may create databases). Each test
# app makes a database of its own there and drops it afterwards. If the server cannot be reached, the
# PostgreSQL run is not done: under CI (CI=true) that fails the run; elsewhere it is said loudly at the end.
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

server="${SAFEHOLD_TEST_POSTGRES:-Host=127.0.0.1;Port=5432;Username=safehold;Password=safehold}"
setting() { # the value of one key of the connection string, case-insensitively
    tr ';' '\n' <<<"$server" | awk -F= -v k="$1" 'tolower($1) ~ "^ *" k " *$" { sub(/^[^=]*=/, ""); print; exit }'
}
host=$(setting host); host=${host:-127.0.0.1}; host=${host%%,*}
port=$(setting port); port=${port:-5432}

status=0

echo "== SQLite: every test =="
# Tests that need PostgreSQL whatever the provider (several hosts, a lost connection) run in the second pass only.
dotnet test Safehold.slnx --filter "Database!=PostgreSQL" || status=1

if timeout 5 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null; then
    echo "== PostgreSQL at $host:$port: the web tests =="
    # Tests of what only SQLite does (the sweeper's batches prepared ahead of its one write lock) ran in the first pass.
    SAFEHOLD_TEST_DATABASE=postgres SAFEHOLD_TEST_POSTGRES="$server" \
        dotnet test tests/Safehold.Web.Tests/Safehold.Web.Tests.csproj --no-build --filter "Database!=SQLite" || status=1
else
    banner="PostgreSQL at $host:$port is unreachable: THE POSTGRESQL TESTS DID NOT RUN."
    if [[ "${CI:-}" == "true" ]]; then
        echo "ERROR: $banner CI requires them (see .ci/run)." >&2
        status=1
    else
        {
            echo
            echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
            echo "!! WARNING: $banner"
            echo "!! Only SQLite was tested. Start PostgreSQL (README: Testing) or set SAFEHOLD_TEST_POSTGRES."
            echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        } >&2
    fi
fi
exit "$status"
