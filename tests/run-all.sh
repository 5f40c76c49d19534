#!/bin/bash
# Runs the test suites and ends with one line:  N passed, N failed, N skipped
#   tests/run-all.sh          build once, then the phases: core, simulation, namespace tests
#                             side by side (JOBS at once), the Serial category alone, and a
#                             leak check (counted as one test)
#   tests/run-all.sh fast     core and simulation only (make check-fast)
# Environment:
#   FILTER   a `dotnet test --filter` expression applied to every phase, for example
#            FILTER='FullyQualifiedName~EtcdTests' or FILTER='TestCategory=Control'
#   JOBS     namespace tests at once in the concurrent phase (default 8: see docs/testing.md, "Running the tests")
#   UCARP_BINARY  the binary under test (the Makefile passes build/ucarp)
#   RESULTS  a directory to keep each phase's log and TRX file in (default: a temporary
#            one, removed at the end)
# Prints each phase's wall time, the ten slowest tests and every failed one. A phase that
# ends without reporting (a crash, a hang the blame collector killed) counts as one failure.
set -u
# Every daemon the namespace tests start checks its group clock on every pass (GroupClock).
export UCARP_NET_CHECK_DEADLINES=1
cd "$(dirname "$0")/.."
mode=${1:-all}
jobs=${JOBS:-8}
filter=${FILTER:-}
if [ -n "${RESULTS:-}" ]; then
    results=$(mkdir -p "$RESULTS" && cd "$RESULTS" && pwd)
else
    results=$(mktemp -d /tmp/ucarp-check-XXXXXX)
    trap 'rm -rf "$results"' EXIT
fi
passed=0 failed=0 skipped=0 status=0
phase_times=()

# Every phase's filter: the caller's, and the phase's own.
and_filter() {
    if [ -n "$filter" ] && [ -n "$1" ]; then echo "($filter)&($1)"
    elif [ -n "$filter" ]; then echo "$filter"
    else echo "$1"; fi
}

# run_phase NAME PROJECT FILTER [RUNSETTINGS...]: one dotnet test, its counts added up.
run_phase() {
    local name=$1 project=$2 phase_filter
    phase_filter=$(and_filter "$3"); shift 3
    local log=$results/$name.log start=$SECONDS
    local args=(test "$project" -c Release --no-build --nologo --results-directory "$results"
                --logger "trx;LogFileName=$name.trx"
                # A test that hangs ends the phase after 10 minutes rather than CI's limit;
                # the leak check then removes whatever it left.
                --blame-hang --blame-hang-timeout 10m --blame-hang-dump-type none)
    [ -n "$phase_filter" ] && args+=(--filter "$phase_filter")
    echo "=== $name${phase_filter:+ ($phase_filter)}"
    dotnet "${args[@]}" -- "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    phase_times+=("$(printf '%-12s %4d s' "$name" $((SECONDS - start)))")
    local summary
    summary=$(grep -aE '^(Passed|Failed)! +- ' "$log" | tail -n 1)
    if [ -z "$summary" ]; then
        if grep -aq 'No test matches the given testcase filter' "$log"; then
            return
        fi
        echo "run-all: $name reported no results (exit $rc)"
        failed=$((failed + 1)); status=1
        return
    fi
    local p f s
    p=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<< "$summary")
    f=$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<< "$summary")
    s=$(sed -E 's/.*Skipped: *([0-9]+).*/\1/' <<< "$summary")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    [ "$rc" -eq 0 ] || status=1
}

# The ten longest tests over every phase, from the TRX files.
slowest() {
    /usr/bin/python3 - "$results" <<'EOF' 2>/dev/null || true
import glob, sys, xml.etree.ElementTree as ET
ns = '{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}'
rows = []
for trx in glob.glob(sys.argv[1] + '/*.trx'):
    for r in ET.parse(trx).getroot().iter(ns + 'UnitTestResult'):
        h, m, s = r.get('duration', '0:0:0').split(':')
        rows.append((int(h) * 3600 + int(m) * 60 + float(s), r.get('outcome'), r.get('testName')))
rows.sort(reverse=True)
print('ten slowest tests:')
for seconds, outcome, name in rows[:10]:
    print(f'  {seconds:7.1f} s  {outcome:<8} {name}')
EOF
}

# Every failed test with the first lines of its message, from the TRX files: printed
# last, just before the counts, so that a log cut to its tail still names them.
failures() {
    /usr/bin/python3 - "$results" <<'EOF' 2>/dev/null || true
import glob, sys, xml.etree.ElementTree as ET
ns = '{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}'
for trx in sorted(glob.glob(sys.argv[1] + '/*.trx')):
    for r in ET.parse(trx).getroot().iter(ns + 'UnitTestResult'):
        if r.get('outcome') != 'Failed':
            continue
        print(f"FAILED {r.get('testName')}")
        message = r.find(f'{ns}Output/{ns}ErrorInfo/{ns}Message')
        lines = (message.text or '').strip().splitlines() if message is not None else []
        for line in lines[:6]:
            print(f'    {line[:200]}')
EOF
}

total_start=$SECONDS
start=$SECONDS
echo "=== build"
dotnet build Ucarp.Net.sln -c Release --nologo -v quiet 2>&1 | tail -n 3
if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    echo "run-all: the build failed"
    failed=$((failed + 1)); status=1
fi
phase_times+=("$(printf '%-12s %4d s' build $((SECONDS - start)))")

run_phase core tests/Ucarp.Core.Tests ""
run_phase simulation tests/Ucarp.Simulation.Tests ""
if [ "$mode" != fast ]; then
    snapshot=$results/before
    tests/leak-check.sh snapshot "$snapshot"
    run_phase concurrent tests/Ucarp.Integration.Tests "TestCategory!=Serial" NUnit.NumberOfTestWorkers="$jobs"
    run_phase serial tests/Ucarp.Integration.Tests "TestCategory=Serial" NUnit.NumberOfTestWorkers=1
    echo "=== leak check"
    if tests/leak-check.sh check "$snapshot"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); status=1
    fi
fi

echo "=== times"
printf '  %s\n' "${phase_times[@]}"
printf '  %-12s %4d s\n' total $((SECONDS - total_start))
slowest
failures
[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
