#!/bin/bash
# Runs every test suite, one after the other (the namespace tests measure timings and
# should not share the CPU with the others), and ends with one line:
#   N passed, N failed, N skipped
# A suite that crashes before reporting counts as one failure.
set -u
cd "$(dirname "$0")/.."
suites=(tests/Ucarp.Core.Tests tests/Ucarp.Simulation.Tests tests/Ucarp.Integration.Tests)
passed=0 failed=0 skipped=0 status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for suite in "${suites[@]}"; do
    echo "=== $suite"
    dotnet test "$suite" -c Release --nologo 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    summary=$(grep -aE '^(Passed|Failed)! +- ' "$log" | tail -n 1)
    if [ -z "$summary" ]; then
        echo "run-all: $suite reported no results (exit $rc)"
        failed=$((failed + 1)); status=1
        continue
    fi
    p=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<< "$summary")
    f=$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<< "$summary")
    s=$(sed -E 's/.*Skipped: *([0-9]+).*/\1/' <<< "$summary")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    [ "$rc" -eq 0 ] || status=1
done
[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
