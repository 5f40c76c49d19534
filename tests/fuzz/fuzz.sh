#!/bin/bash
# Coverage-guided fuzzing with AFL++ through SharpFuzz (make fuzz; make check runs a short round).
#   tests/fuzz/fuzz.sh SECONDS [TARGET...]     targets: reader vrrp cli http json (default: all)
#   FUZZ_BUILD=only: build the harness and stop; FUZZ_BUILD=no: use the one built before
#   FUZZ_TIMEOUT_MS: afl-fuzz's -t, the time after which a run is a hang (default 1000)
# Builds the harness, instruments Ucarp.Core.dll, runs afl-fuzz on each target for
# SECONDS from the seed corpus, and copies what it finds (crashes, hangs) into
# tests/fuzz/regressions/TARGET/, which the core tests replay. Prints one line per
# target: executions, paths, crashes, hangs. Exits 1 when anything was found.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-60}; shift || true
targets=("${@:-reader vrrp cli http json}")
read -r -a targets <<< "${targets[*]}"
work=${FUZZ_WORK:-/tmp/ucarpnet-fuzz}
tool=$work/tool

if ! command -v afl-fuzz >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi
mkdir -p "$work"
[ -x "$tool/sharpfuzz" ] || dotnet tool install --tool-path "$tool" SharpFuzz.CommandLine --version 2.3.0 >/dev/null
out=$work/bin
if [ "${FUZZ_BUILD:-yes}" != no ] || [ ! -f "$out/Ucarp.Fuzz.dll" ]; then
    rm -rf "$out"
    dotnet publish "$here/Ucarp.Fuzz/Ucarp.Fuzz.csproj" -c Release -o "$out" --nologo -v quiet >/dev/null
    "$tool/sharpfuzz" "$out/Ucarp.Core.dll" >/dev/null
fi
[ "${FUZZ_BUILD:-yes}" = only ] && exit 0

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
found=0
for target in "${targets[@]}"; do
    findings=$work/findings-$target
    rm -rf "$findings"
    # -s 1: a fixed seed, so a short run in make check is repeatable; -t: a run taking over
    # FUZZ_TIMEOUT_MS (a second) is a hang; -m none: the .NET runtime maps a lot of address space.
    timeout $((seconds + 60)) afl-fuzz -i "$here/corpus/$target" -o "$findings" -V "$seconds" -s 1 -t "${FUZZ_TIMEOUT_MS:-1000}" -m none \
        -- dotnet "$out/Ucarp.Fuzz.dll" "$target" > "$work/afl-$target.log" 2>&1 || true
    stats=$findings/default/fuzzer_stats
    if [ ! -f "$stats" ]; then
        echo "fuzz: $target: afl-fuzz did not run (see $work/afl-$target.log)"; tail -5 "$work/afl-$target.log"; found=1; continue
    fi
    get() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
    crashes=$(find "$findings/default/crashes" -type f ! -name README.txt | wc -l)
    hangs=$(find "$findings/default/hangs" -type f | wc -l)
    echo "fuzz: $target: $(get execs_done) executions in $(get run_time) s, $(get corpus_count) paths, $(get bitmap_cvg) coverage ($(get edges_found) edges), $crashes crashes, $hangs hangs"
    for f in "$findings"/default/crashes/id* "$findings"/default/hangs/id*; do
        [ -f "$f" ] || continue
        cp "$f" "$here/regressions/$target/$(basename "$(dirname "$f")")-$(sha1sum "$f" | cut -c1-12)"
        found=1
    done
done
exit $found
