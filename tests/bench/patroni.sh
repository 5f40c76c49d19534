# Sourced by bench.sh: the "patroni" section (SECTIONS=patroni). A real Patroni 3 cluster
# (Debian's patroni and postgresql-15) of two members on hosts 4 and 5, on the three-member
# etcd of hosts 1-3 (etcd3 API), ttl 8 s, loop_wait 1 s, retry_timeout 3 s, as the
# namespace test runs it; beside each member a Ucarp.Net in follow mode
# (--follow-key=/service/bench/leader --follow-value=its member). PATRONI_ROUNDS rounds of:
#   switchover   `patronictl switchover --candidate OTHER --force` issued -> the address
#                added on the new primary's host (its upscript's stamp, after `ip addr add`)
#   kill         the primary's Patroni, postmaster and its children SIGKILLed -> the same;
#                Patroni's failover waits for the leader key's lease to expire (the ttl)
# and, for each, the part that is Ucarp.Net's: from the leader key naming the new primary
# (an `etcdctl watch`, each line stamped with bash's $EPOCHREALTIME, no fork) to the
# address on its host. The killed member is started again (it rejoins as a replica)
# before the next round.

PATRONI_ROUNDS=${PATRONI_ROUNDS:-$ROUNDS}
pg_bin=/usr/lib/postgresql/15/bin
pg_key=/service/bench/leader

pg_config() { # pg_config HOST: host's Patroni configuration (member pgHOST), from the namespace test's
    sed -e "s|@SCOPE@|bench|; s|@NAME@|pg$1|; s|@ADDRESS@|192.0.2.$1|g; s|@DIR@|$work/pg$1|g; s|@PGBIN@|$pg_bin|" \
        -e "s|@ETCD@|192.0.2.1:2379,192.0.2.2:2379,192.0.2.3:2379|" "$here/../Ucarp.Integration.Tests/Infrastructure/patroni.yml"
}
pg_start() { # pg_start HOST: Patroni as postgres in host's namespace (setpriv execs: the pid is Patroni's)
    ip netns exec "$prefix-n$1" setpriv --reuid=postgres --regid=postgres --init-groups --reset-env \
        patroni "$work/pg$1/patroni.yml" >> "$work/pg$1.log" 2>&1 &
    echo $! > "$work/pg$1.pid"
}
pg_rest() { # pg_rest HOST ENDPOINT: succeeds when host's REST API answers 200 (primary, replica)
    [ "$(ip netns exec "$prefix-n$1" curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://192.0.2.$1:8008/$2")" = 200 ]
}
pg_ready() { # pg_ready: one primary, the other a running replica
    { pg_rest 4 primary && pg_rest 5 replica; } || { pg_rest 5 primary && pg_rest 4 replica; }
}
pg_leader() { ip netns exec "$prefix-n1" etcdctl --endpoints="$etcd_urls" --dial-timeout=1s get "$pg_key" --print-value-only 2>/dev/null; }
pg_postmaster() { # pg_postmaster HOST: the postmaster's pid, if its pid file is there
    head -1 "$work/pg$1/data/postmaster.pid" 2>/dev/null || true
}
pg_kill() { # pg_kill HOST: SIGKILL host's Patroni, then its postmaster and the postmaster's children
    local pm; pm=$(pg_postmaster "$1")
    kill -9 "$(cat "$work/pg$1.pid")" 2>/dev/null || true
    [ -n "$pm" ] && kill -9 "$pm" $(cat /proc/"$pm"/task/*/children 2>/dev/null) 2>/dev/null || true
}
pg_down() { # pg_down: every member stopped (SIGTERM, then what is left SIGKILLed), stale System V segments removed
    local h pm id
    for h in 4 5; do kill "$(cat "$work/pg$h.pid" 2>/dev/null)" 2>/dev/null || true; done
    for h in 4 5; do wait_for 20 test ! -d "/proc/$(cat "$work/pg$h.pid")" || true; done
    for h in 4 5; do
        pm=$(pg_postmaster "$h")
        [ -n "$pm" ] && kill -9 "$pm" $(cat /proc/"$pm"/task/*/children 2>/dev/null) 2>/dev/null || true
        id=$(awk 'NR == 7 { print $2 }' "$work/pg$h/data/postmaster.pid" 2>/dev/null || true)
        [ -n "$id" ] && ipcrm -m "$id" 2>/dev/null || true
    done
}
pg_up_at() { # pg_up_at HOST AFTER_NS: ns of host's first upscript after AFTER_NS
    awk -v h="$1" -v t="$2" '$2 == h && $1 > t { print $1; exit }' "$work/pg-up.log" 2>/dev/null || true
}
pg_key_at() { # pg_key_at MEMBER AFTER_NS: ns when the watch first saw the leader key set to MEMBER after AFTER_NS
    awk -v m="$1" -v t="$2" '$2 == m && $1 > t { print $1; exit }' "$work/pg-watch.log" 2>/dev/null || true
}
pg_measure() { # pg_measure HOST T0_NS: "ms_from_t0 ms_from_key" once host holds (or "timeout timeout")
    local up key
    wait_for 30 holds "$1" || { echo "timeout timeout"; return; }
    wait_for 5 test -n "$(pg_up_at "$1" "$2")" || true
    up=$(pg_up_at "$1" "$2"); key=$(pg_key_at "pg$1" "$2")
    awk -v t0="$2" -v up="${up:-0}" -v key="${key:-0}" 'BEGIN {
        if (up == 0) { print "timeout timeout"; exit }
        printf "%.0f %s\n", (up - t0) / 1e6, key == 0 ? "?" : sprintf("%.1f", (up - key) / 1e6) }'
}

patroni_section() {
    if [ ! -x /usr/bin/patroni ] || [ ! -x $pg_bin/postgres ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends patroni postgresql-15 >/dev/null
    fi
    echo "bench: Patroni failover, follow mode" >&2
    rm -rf "$work"/etcd-m*; etcd_up
    chmod 711 "$work"   # postgres passes through root's directory
    local h
    for h in 4 5; do mkdir -p "$work/pg$h"; pg_config "$h" > "$work/pg$h/patroni.yml"; done
    chown -R postgres:postgres "$work/pg4" "$work/pg5"
    pg_start 4; pg_start 5
    wait_for 90 pg_ready || { echo "bench: Patroni did not bootstrap" >&2; tail -20 "$work/pg4.log" "$work/pg5.log" >&2; return 1; }
    # The upscript stamps "NS HOST" after adding the address.
    printf '#!/bin/sh\nip addr add "$2"/32 dev "$1"\necho "$(date +%%s%%N) $3" >> %s/pg-up.log\n' "$work" > "$work/pg-up"
    chmod +x "$work/pg-up"
    ( ip netns exec "$prefix-n1" etcdctl --endpoints="$etcd_urls" watch "$pg_key" \
        | while read -r line; do echo "${EPOCHREALTIME//[.,]/}000 $line"; done > "$work/pg-watch.log" & )
    for h in 4 5; do
        start_etcd "$h" 0 "$work/pg-ucarp$h.log" --follow-key="$pg_key" --follow-value="pg$h" -x "$h" -u "$work/pg-up" > /dev/null
    done
    local st=() sk=() kt=() kk=() r leader next t0 a b
    leader=$(pg_leader | tr -dc 0-9)
    wait_for 10 holds "$leader" || echo "bench: the address is not on the primary pg$leader" >&2
    for r in $(seq 1 "$PATRONI_ROUNDS"); do
        leader=$(pg_leader | tr -dc 0-9); next=$(( leader == 4 ? 5 : 4 ))
        t0=$(date +%s%N)
        ip netns exec "$prefix-n$next" patronictl -c "$work/pg$next/patroni.yml" switchover --candidate "pg$next" --force > /dev/null 2>&1
        read -r a b <<< "$(pg_measure "$next" "$t0")"; st+=("$a"); sk+=("$b")
        wait_for 60 pg_ready || echo "bench: pg$leader did not come back as a replica" >&2
        t0=$(date +%s%N)
        pg_kill "$next"
        read -r a b <<< "$(pg_measure "$leader" "$t0")"; kt+=("$a"); kk+=("$b")
        pg_start "$next"   # back as a replica for the next round
        wait_for 90 pg_ready || echo "bench: pg$next did not rejoin as a replica" >&2
        echo "bench: round $r: switchover ${st[-1]} ms (${sk[-1]} from the key), kill ${kt[-1]} ms (${kk[-1]} from the key)" >&2
    done
    result[pg-switch]=$(printf '%s\n' "${st[@]}" | median); result[pg-switch-key]=$(printf '%s\n' "${sk[@]}" | median)
    result[pg-kill]=$(printf '%s\n' "${kt[@]}" | median); result[pg-kill-key]=$(printf '%s\n' "${kk[@]}" | median)
    result[pg-all]="switchover ${st[*]} / ${sk[*]}; kill ${kt[*]} / ${kk[*]}"
    pg_down
    lan_down "$prefix"
}

patroni_table() {
    printf '\n%-52s %14s\n' "Patroni 3 failover, follow mode, $PATRONI_ROUNDS rounds, medians" "Ucarp.Net"
    printf '%-52s %14s\n' "switchover issued -> address on new primary, ms" "${result[pg-switch]:--}"
    printf '%-52s %14s\n' "  leader key changed -> address on it, ms" "${result[pg-switch-key]:--}"
    printf '%-52s %14s\n' "primary SIGKILLed -> address on new primary, ms" "${result[pg-kill]:--}"
    printf '%-52s %14s\n' "  leader key changed -> address on it, ms" "${result[pg-kill-key]:--}"
    printf '%-52s %14s\n' "  (ttl 8000: the lease must expire first)" ""
    printf 'rounds (ms, issued / from the key): %s\n' "${result[pg-all]:-}"
}
