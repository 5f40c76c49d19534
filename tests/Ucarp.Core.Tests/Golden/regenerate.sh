#!/bin/bash
# Regenerates cli-expected.txt by running Debian's ucarp 1.5.2 on every case in
# cli-cases.txt. Needs root (a private network namespace, so that the interface
# fallback sees only "lo" and answers "any" everywhere) and `apt-get install ucarp`.
# Timestamps are cut; the version line is replaced by ours when the tests compare.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ucarp=${UCARP:-/usr/sbin/ucarp}
dir=/tmp/ucarp-cli-golden
mkdir -p "$dir"
printf 'secret\n' > "$dir/pass"
chmod 600 "$dir/pass"
: > "$dir/empty"
printf '\n' > "$dir/newline-only"
ns=ucarp-golden-$$
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
out=$here/cli-expected.txt
: > "$out"
while IFS= read -r line; do
    [[ -z "$line" || "$line" == \#* ]] && continue
    IFS=$'\t' read -r -a args <<< "$line"
    # `read -a` drops empty fields; split by hand to keep them.
    args=()
    rest=$line
    while :; do
        args+=("${rest%%$'\t'*}")
        [[ "$rest" == *$'\t'* ]] || break
        rest=${rest#*$'\t'}
    done
    set +e
    ip netns exec "$ns" "$ucarp" "${args[@]}" > "$dir/stdout" 2> "$dir/stderr"
    code=$?
    set -e
    {
        printf '### %s\n' "$line"
        printf 'exit %d\n' "$code"
        sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+: //; s/^/out: /' "$dir/stdout"
        sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+: //; s/^/err: /' "$dir/stderr"
    } >> "$out"
done < "$here/cli-cases.txt"
echo "wrote $out"
