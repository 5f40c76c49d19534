using Ucarp.Core.Carp;
using Ucarp.Core.Election;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Etcd;

/// <summary>What an etcd session needs from the daemon: its requests sent, and the log.</summary>
public interface IEtcdSessionHost
{
    /// <summary>Sends a request now; its reply (or replies, for a watch) comes back through <see cref="EtcdSession.OnReply"/>.</summary>
    void Send(in EtcdRequest request);

    /// <summary>Sends a request once every group's scripts have run (the addresses are gone), or at <paramref name="deadline"/>.</summary>
    void SendAfterScripts(in EtcdRequest request, long deadline);

    void Write(LogLevel level, string message);
}

/// <summary>
/// What every etcd group of one daemon shares (for one set of endpoints, prefix and TTL):
/// one lease, kept alive once per interval whatever the number of groups; one watch over
/// the prefix, its events handed to the group whose key they name; and one read of the
/// whole prefix (the sweep) every TTL, which catches what a watch that went quiet missed
/// and what a holder must check of its keys. A node's steady etcd traffic is therefore
/// one renewal every TTL/5 (TTL/3 when it holds nothing) and one sweep every 2 TTL: with
/// the default TTL of 3 s, 1.8 requests a second (1.2 holding nothing), for one group or
/// thousands. Campaigns
/// and hand-overs are per key, and only when something changes. Pure, as the elections:
/// time comes in as "now", requests leave through <see cref="IEtcdSessionHost"/>.
///
/// Fencing covers every key on the lease: etcd deletes them all when the lease expires,
/// TTL after the last renewal the server received, which is after it was sent. Once no
/// renewal sent in the last TTL - margin has been answered, the session can no longer
/// vouch for the lease: every group it holds an address for gives it up (downscript)
/// at once, a margin (TTL/3) before the server can expire the lease and let another node
/// win any of them; the lease is then abandoned (revoked once the scripts have run, in
/// case etcd is only slow) and a new one asked for.
/// </summary>
public sealed class EtcdSession : IRoleObserver
{
    const long Ms = 1_000;
    // A renewal unanswered this long (failed, or late: a member waiting for a new etcd
    // leader) is followed by another, on the next member, up to MaxRenewals at once.
    // While etcd is out of reach they go every ProbeEvery, so that a node notices within
    // that much that it is back, even when each attempt takes seconds to fail.
    static readonly long RenewRetry = 150 * Ms;
    static readonly long ProbeEvery = 300 * Ms;
    const int MaxRenewals = 8;
    // etcd raises a TTL below its minimum (1.5 x its election timeout: 2 s by default);
    // a grant more than this above the asked TTL is refused (failover would take that long).
    const long MaxTtlExcess = 10;

    enum Reach : byte { Unknown, Up, Down }

    readonly record struct Pending(EtcdOp Op, long SentAt, long Lease, EtcdElection? Owner);

    /// <summary>A key as last seen: <see cref="Exists"/> false is a deletion, kept for its revision until a sweep passes it.</summary>
    readonly record struct Seen(bool Exists, EtcdKeyValue Kv);

    readonly IEtcdSessionHost _host;
    readonly string _prefix;
    readonly Dictionary<int, Pending> _pending = [];
    readonly Dictionary<string, EtcdElection> _byKey = new(StringComparer.Ordinal);
    readonly Dictionary<string, Seen> _seen = new(StringComparer.Ordinal);
    readonly List<EtcdElection> _elections = [];
    // Campaigns and take-backs asked for within FlushWindow of each other go together: a
    // thousand addresses freed at once (one lease expired) cost a few transactions.
    static readonly long FlushWindow = 2 * Ms;
    readonly List<EtcdRequest> _campaigns = [];
    readonly Dictionary<int, IReadOnlyList<EtcdRequest>> _batches = [];
    long? _flushAt;
    int _nextId;

    long? _lease;
    long _ttl;                  // µs, as granted
    long _renewedSentAt;
    bool _granting;
    long? _renewAt;
    long? _grantRetryAt;
    Backoff _grantBackoff = Backoff.Etcd;
    bool _grantRefusedLogged;
    Reach _reach;

    int? _watch;
    bool _sweeping;
    bool _known;                // a sweep was answered since the watch last broke
    long? _sweepAt;
    long? _sweepRetryAt;
    Backoff _sweepBackoff = Backoff.Etcd;
    bool _stopping;
    long? _revoking;

    /// <param name="prefix">The keys' common prefix, ending in "/": the watch and the sweep cover it.</param>
    /// <param name="ttlSeconds">The TTL asked for: advbase x deadratio of the groups that share the session.</param>
    public EtcdSession(IEtcdSessionHost host, string prefix, long ttlSeconds)
    {
        _host = host;
        _prefix = prefix;
        RequestedTtlSeconds = Math.Max(1, ttlSeconds);
    }

    public long RequestedTtlSeconds { get; }

    /// <summary>The lease, once granted and while it can be vouched for (else null).</summary>
    public long? Lease => _lease;

    /// <summary>The lease's TTL as etcd granted it, in µs (0 before the first grant).</summary>
    public long Ttl => _ttl;

    long Margin => _ttl / 3;

    /// <summary>True while the lease can be vouched for at <paramref name="now"/>: a renewal sent within TTL - margin was answered.</summary>
    public bool Trusted(long now) => _lease is not null && now < _renewedSentAt + _ttl - Margin;

    /// <summary>When the lease stops being trusted (a holder gives everything up then), or null.</summary>
    public long? FenceAt => _lease is null || !AnyMaster ? null : _renewedSentAt + _ttl - Margin;

    public bool Stopping => _stopping;

    /// <summary>True while the revoke that must go out before exiting is unanswered.</summary>
    public bool Releasing { get; private set; }

    int _masters;
    bool AnyMaster => _masters > 0;

    /// <summary>A group's role changed: a node that holds an address renews more often.</summary>
    void IRoleObserver.RoleChanged(ElectionBase election, CarpState from, CarpState to, long now)
    {
        bool wasMaster = from == CarpState.Master, isMaster = to == CarpState.Master;
        _masters += (isMaster ? 1 : 0) - (wasMaster ? 1 : 0);
        if (isMaster && !wasMaster && _lease is not null)
        {
            _renewAt = Math.Min(_renewAt ?? long.MaxValue, _renewedSentAt + RenewEvery);
        }
    }

    /// <summary>
    /// A node that holds an address renews five times per TTL: an etcd leader election of
    /// up to TTL - margin - TTL/5 (1.4 s of 3 s) passes between its last answered renewal
    /// and the fence. A node that holds nothing renews three times per TTL: its lease only
    /// needs to be alive when it campaigns.
    /// </summary>
    long RenewEvery => AnyMaster ? Math.Max(100 * Ms, _ttl / 5) : Math.Max(100 * Ms, _ttl / 3);

    /// <summary>How often the whole prefix is read (µs).</summary>
    public long SweepInterval => Math.Max(2 * Timing.Second, 2 * _ttl);

    public long? NextDeadline => Min(Min(Min(_renewAt, FenceAt), Min(_grantRetryAt, _sweepAt)), Min(_sweepRetryAt, _flushAt));

    /// <summary>How many keys one transaction campaigns for (etcd takes 128 operations per transaction by default).</summary>
    public const int BatchSize = 64;

    /// <summary>
    /// A group joins: its key is watched from now on. False when another group of this
    /// session already has that key (the config file's checks keep that from happening).
    /// </summary>
    public bool Attach(EtcdElection election, long now)
    {
        if (!_byKey.TryAdd(election.Key, election))
        {
            return false;
        }
        _elections.Add(election);
        election.Subscribe(this);
        if (_elections.Count == 1 && _lease is null && !_stopping)
        {
            Grant(now);
        }
        if (!_sweeping && _watch is null && _sweepRetryAt is null)
        {
            Sweep(now);
        }
        else if (_known)
        {
            // Joined a running session (a reload): what the last sweep and the watch say of its key.
            election.KeyChanged(Lookup(election.Key), now);
            election.PreemptChanged(Lookup(election.PreemptKey), now);
        }
        return true;
    }

    /// <summary>A group leaves (removed by a reload, or done); nothing more is handed to it.</summary>
    public void Detach(EtcdElection election)
    {
        if (_byKey.TryGetValue(election.Key, out EtcdElection? e) && e == election)
        {
            _byKey.Remove(election.Key);
            _seen.Remove(election.Key);
            _seen.Remove(election.PreemptKey);
        }
        if (_elections.Remove(election))
        {
            election.Unsubscribe(this);
        }
        if (election.State == CarpState.Master)
        {
            _masters--;
        }
    }

    /// <summary>What the sweep and the watch last said of one of our keys (null: absent, or not known).</summary>
    public EtcdKeyValue? Lookup(string key) => _seen.TryGetValue(key, out Seen s) && s.Exists ? s.Kv : null;

    public void OnTimer(long now)
    {
        if (_stopping)
        {
            _campaigns.Clear();
            _flushAt = null;
            return;
        }
        if (_flushAt <= now)
        {
            _flushAt = null;
            SendCampaigns(now);
        }
        if (FenceAt <= now)
        {
            Fence(now);
        }
        if (_renewAt <= now && _lease is long lease)
        {
            int outstanding = 0;
            foreach (Pending p in _pending.Values)
            {
                outstanding += p.Op == EtcdOp.KeepAlive && p.Lease == lease ? 1 : 0;
            }
            if (outstanding < MaxRenewals)
            {
                Send(EtcdOp.KeepAlive, now, lease, attempt: outstanding);
            }
            // Answered, it moves to RenewEvery after this one; unanswered by then, another goes out.
            _renewAt = now + (_reach == Reach.Down ? ProbeEvery : RenewRetry);
        }
        if (_grantRetryAt <= now)
        {
            _grantRetryAt = null;
            if (_lease is null)
            {
                Grant(now);
            }
        }
        if (_sweepRetryAt <= now || _sweepAt <= now)
        {
            _sweepRetryAt = _sweepAt = null;
            Sweep(now);
        }
    }

    /// <summary>The lease can no longer be vouched for: every address on it is given up now, before etcd could expire it.</summary>
    void Fence(long now)
    {
        _host.Write(LogLevel.Warning, Messages.EtcdFence((now - _renewedSentAt) / (double)Timing.Second));
        long old = _lease!.Value;
        DropLease();
        foreach (EtcdElection e in _elections.ToArray())
        {
            e.LeaseGone(now);
        }
        // The lease may still be alive (etcd only slow): revoked once the downscripts have run,
        // and no later than it could have expired anyway.
        SendRevoke(old, now, now + Math.Max(_ttl - Margin, 0));
        Grant(now);
    }

    void DropLease()
    {
        _lease = null;
        _renewAt = null;
    }

    public void OnReply(in EtcdReply reply, long now)
    {
        if (!_pending.TryGetValue(reply.Id, out Pending p))
        {
            return; // an answer to something given up on
        }
        if (reply.Op != EtcdOp.Watch || reply.WatchEnded || !reply.Ok)
        {
            _pending.Remove(reply.Id);
        }
        if (_batches.Remove(reply.Id, out IReadOnlyList<EtcdRequest>? batch))
        {
            if (reply.Ok)
            {
                Reachable(now);
            }
            else
            {
                Unreachable(reply.Error ?? "no answer");
            }
            BatchAnswered(batch, reply, now);
            return;
        }
        if (p.Owner is EtcdElection owner)
        {
            if (!reply.Ok)
            {
                Unreachable(reply.Error ?? "no answer");
            }
            else
            {
                Reachable(now);
            }
            if (_byKey.TryGetValue(owner.Key, out EtcdElection? current) && current == owner || owner.Stopped)
            {
                owner.OnReply(reply, p.Lease, now);
            }
            return;
        }
        if (reply.Op == EtcdOp.Revoke && p.Lease == _revoking)
        {
            Releasing = false; // answered, or failed: either way nothing more is waited for
        }
        if (!reply.Ok)
        {
            Failed(reply, p, now);
            return;
        }
        Reachable(now);
        switch (reply.Op)
        {
            case EtcdOp.Grant:
                Granted(reply, p, now);
                break;
            case EtcdOp.KeepAlive:
                if (p.Lease != _lease)
                {
                    return;
                }
                if (reply.Ttl <= 0)
                {
                    LeaseLost(now);
                    return;
                }
                if (p.SentAt > _renewedSentAt)
                {
                    _renewedSentAt = p.SentAt;
                    _renewAt = p.SentAt + RenewEvery;
                }
                break;
            case EtcdOp.Sweep:
                Swept(reply, now);
                break;
            case EtcdOp.Watch:
                if (reply.WatchEnded)
                {
                    WatchBroke(now);
                }
                else if (reply.Key is string key)
                {
                    Changed(key, reply.Exists, new EtcdKeyValue(key, reply.Value ?? "", reply.Exists ? reply.ValueLease : 0, reply.Revision), now);
                }
                break;
        }
    }

    void Granted(in EtcdReply reply, Pending p, long now)
    {
        _granting = false;
        if (_stopping)
        {
            SendRevoke(reply.Lease, now, null);
            return;
        }
        if (reply.Lease <= 0 || reply.Ttl < RequestedTtlSeconds || reply.Ttl > RequestedTtlSeconds + MaxTtlExcess)
        {
            if (!_grantRefusedLogged)
            {
                _grantRefusedLogged = true;
                _host.Write(LogLevel.Warning, Messages.EtcdGrantRefused(reply.Lease, reply.Ttl, RequestedTtlSeconds));
            }
            if (reply.Lease > 0)
            {
                Send(EtcdOp.Revoke, now, reply.Lease);
            }
            GrantLater(now);
            return;
        }
        _grantRefusedLogged = false;
        _lease = reply.Lease;
        _ttl = Math.Max(1, reply.Ttl) * Timing.Second;
        _renewedSentAt = p.SentAt;
        _renewAt = p.SentAt + RenewEvery;
        _grantBackoff.Reset();
        _host.Write(LogLevel.Info, Messages.EtcdLease(reply.Lease, reply.Ttl));
        if (_known)
        {
            _sweepAt ??= now + SweepInterval;
        }
        foreach (EtcdElection e in _elections.ToArray())
        {
            e.LeaseReady(now);
        }
    }

    void LeaseLost(long now)
    {
        DropLease();
        if (AnyMaster)
        {
            _host.Write(LogLevel.Warning, Messages.EtcdLeaseLost);
        }
        foreach (EtcdElection e in _elections.ToArray())
        {
            e.LeaseGone(now);
        }
        Grant(now);
    }

    /// <summary>
    /// The whole prefix as etcd has it: every group is told what its key says, the watch
    /// starts (or restarts, when it missed a change) after the sweep's revision.
    /// </summary>
    void Swept(in EtcdReply reply, long now)
    {
        _sweeping = false;
        _sweepBackoff.Reset();
        long revision = reply.Revision;
        bool first = !_known;   // the first sweep since the watch (re)started: every group learns its key
        _known = true;
        var told = new HashSet<string>(StringComparer.Ordinal);
        bool missed = false;
        foreach (EtcdKeyValue kv in reply.Kvs ?? [])
        {
            if (!Interesting(kv.Key))
            {
                continue;
            }
            told.Add(kv.Key);
            if (_seen.TryGetValue(kv.Key, out Seen s) && s.Kv.ModRevision > revision)
            {
                // The watch has told of a later change already.
                if (first)
                {
                    Tell(kv.Key, s.Exists ? s.Kv : null, now);
                }
                continue;
            }
            bool known = _seen.ContainsKey(kv.Key);
            bool differs = !known || !s.Exists || s.Kv.Lease != kv.Lease || s.Kv.Value != kv.Value;
            missed |= differs && !first;
            _seen[kv.Key] = new Seen(true, kv);
            if (first || differs)
            {
                Tell(kv.Key, kv, now);
            }
        }
        foreach (string key in _seen.Keys.ToArray())
        {
            if (told.Contains(key))
            {
                continue;
            }
            told.Add(key);
            Seen s = _seen[key];
            if (s.Kv.ModRevision > revision)
            {
                if (first)
                {
                    Tell(key, s.Exists ? s.Kv : null, now);
                }
                continue;
            }
            if (s.Exists)
            {
                // Gone, and the watch did not say so.
                missed |= !first;
                Tell(key, null, now);
            }
            _seen.Remove(key); // a deletion older than the sweep: nothing more to order against
        }
        if (first)
        {
            foreach (EtcdElection e in _elections.ToArray())
            {
                if (!told.Contains(e.Key))
                {
                    e.KeyChanged(null, now);
                }
                if (!told.Contains(e.PreemptKey))
                {
                    e.PreemptChanged(null, now);
                }
            }
        }
        if (missed && _watch is int quiet)
        {
            // The watch missed a change: its stream went quiet (a member cut off without
            // closing the connection). Leave it and watch afresh.
            _pending.Remove(quiet);
            _watch = null;
        }
        _watch ??= Send(EtcdOp.Watch, now, key: _prefix, revision: revision + 1, prefix: true);
        _sweepAt = now + SweepInterval;
    }

    /// <summary>A key some group of ours has (the address's, or its preempt request's).</summary>
    bool Interesting(string key) =>
        _byKey.ContainsKey(key) || key.EndsWith(EtcdSettings.PreemptSuffix, StringComparison.Ordinal)
        && _byKey.ContainsKey(key[..^EtcdSettings.PreemptSuffix.Length]);

    /// <summary>A watch event: the key's new state, handed to the group it belongs to unless already known.</summary>
    void Changed(string key, bool exists, EtcdKeyValue kv, long now)
    {
        if (!Interesting(key))
        {
            return;
        }
        if (_seen.TryGetValue(key, out Seen before) && before.Kv.ModRevision >= kv.ModRevision)
        {
            return; // already known (a watch restarted from an older revision)
        }
        _seen[key] = new Seen(exists, kv);
        if (_known)
        {
            Tell(key, exists ? kv : null, now);
        }
    }

    void Tell(string key, EtcdKeyValue? kv, long now)
    {
        if (_byKey.TryGetValue(key, out EtcdElection? e))
        {
            e.KeyChanged(kv, now);
        }
        else if (key.Length > EtcdSettings.PreemptSuffix.Length && _byKey.TryGetValue(key[..^EtcdSettings.PreemptSuffix.Length], out EtcdElection? holder))
        {
            holder.PreemptChanged(kv, now);
        }
    }

    void Failed(in EtcdReply reply, Pending p, long now)
    {
        Unreachable(reply.Error ?? "no answer");
        switch (reply.Op)
        {
            case EtcdOp.Grant:
                _granting = false;
                GrantLater(now);
                break;
            case EtcdOp.KeepAlive:
                // Try again soon: the fence deadline is what gives the addresses up.
                if (p.Lease == _lease)
                {
                    _renewAt = Math.Min(_renewAt ?? long.MaxValue, now + (_reach == Reach.Down ? ProbeEvery : RenewRetry));
                }
                break;
            case EtcdOp.Sweep:
                _sweeping = false;
                SweepLater(now);
                break;
            case EtcdOp.Watch:
                WatchBroke(now);
                break;
        }
    }

    void WatchBroke(long now)
    {
        _watch = null;
        if (_known)
        {
            _known = false;
            foreach (EtcdElection e in _elections.ToArray())
            {
                e.KeysUnknown(now);
            }
        }
        SweepLater(now);
    }

    void GrantLater(long now)
    {
        _grantRetryAt = Math.Min(_grantRetryAt ?? long.MaxValue, now + _grantBackoff.Next());
    }

    void SweepLater(long now)
    {
        _sweepRetryAt = Math.Min(_sweepRetryAt ?? long.MaxValue, now + _sweepBackoff.Next());
    }

    void Reachable(long now)
    {
        if (_reach == Reach.Down)
        {
            _host.Write(LogLevel.Warning, Messages.EtcdReachable);
            // Back: what waits for a retry (a lease, the sweep) goes now, not after the
            // backoff, and a grant or sweep sent while cut off is not waited for (it may
            // take seconds to fail): its answer, if one comes, is ignored.
            _grantBackoff.Reset();
            _sweepBackoff.Reset();
            foreach ((int id, Pending p) in _pending)
            {
                if (p.Owner is null && p.Op is EtcdOp.Grant or EtcdOp.Sweep)
                {
                    _pending.Remove(id);
                    if (p.Op == EtcdOp.Grant)
                    {
                        _granting = false;
                        _grantRetryAt = now;
                    }
                    else
                    {
                        _sweeping = false;
                        _sweepRetryAt = now;
                    }
                }
            }
            if (_grantRetryAt is not null)
            {
                _grantRetryAt = now;
            }
            // Whatever the watch missed while we were cut off, a sweep now finds.
            if (!_sweeping)
            {
                _sweepRetryAt = now;
            }
        }
        _reach = Reach.Up;
    }

    void Unreachable(string error)
    {
        if (_reach != Reach.Down)
        {
            _host.Write(LogLevel.Warning, Messages.EtcdUnreachable(error));
        }
        _reach = Reach.Down;
    }

    void Grant(long now)
    {
        if (_granting || _stopping || _lease is not null)
        {
            return;
        }
        _granting = true;
        Send(EtcdOp.Grant, now, ttl: RequestedTtlSeconds);
    }

    void Sweep(long now)
    {
        if (_sweeping || _stopping || _elections.Count == 0)
        {
            return;
        }
        _sweeping = true;
        Send(EtcdOp.Sweep, now, key: _prefix, prefix: true);
    }

    /// <summary>
    /// The daemon is leaving: no more campaigns or renewals; the lease is revoked once
    /// every group's downscript has run (which deletes every key on it at once), so the
    /// other nodes take the addresses over without waiting out the TTL.
    /// </summary>
    public void Stop(long now)
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        _renewAt = _grantRetryAt = _sweepAt = _sweepRetryAt = null;
        if (_lease is long lease)
        {
            _lease = null;
            SendRevoke(lease, now, now + Math.Max(_ttl - Margin, 0));
        }
    }

    void SendRevoke(long lease, long now, long? afterScriptsDeadline)
    {
        int id = ++_nextId;
        _pending[id] = new Pending(EtcdOp.Revoke, now, lease, null);
        if (_stopping)
        {
            _revoking = lease;
            Releasing = true;
        }
        var request = new EtcdRequest(id, EtcdOp.Revoke, lease);
        if (afterScriptsDeadline is long deadline)
        {
            _host.SendAfterScripts(request, deadline);
        }
        else
        {
            _host.Send(request);
        }
    }

    int Send(EtcdOp op, long now, long lease = 0, string key = "", string value = "", long revision = 0, long ttl = 0, int attempt = 0,
             bool prefix = false)
    {
        int id = ++_nextId;
        _pending[id] = new Pending(op, now, lease, null);
        _host.Send(new EtcdRequest(id, op, lease, key, value, revision, ttl, attempt, prefix));
        return id;
    }

    /// <summary>A group's request: numbered by the session, so that its reply finds the group again.</summary>
    internal EtcdRequest Track(EtcdElection owner, EtcdRequest request, long now)
    {
        int id = ++_nextId;
        _pending[id] = new Pending(request.Op, now, request.Lease, owner);
        return request with { Id = id };
    }

    /// <summary>A group's campaign (or take-back): numbered now, sent with the others of this pass.</summary>
    internal int Campaign(EtcdElection owner, EtcdRequest request, long now)
    {
        EtcdRequest tracked = Track(owner, request, now);
        _campaigns.Add(tracked);
        _flushAt ??= now + FlushWindow;
        return tracked.Id;
    }

    /// <summary>The campaigns asked for, in transactions of up to <see cref="BatchSize"/> keys of one kind; one alone goes as it is.</summary>
    void SendCampaigns(long now)
    {
        foreach (EtcdOp op in (ReadOnlySpan<EtcdOp>)[EtcdOp.Campaign, EtcdOp.TakeBack])
        {
            var chunk = new List<EtcdRequest>(BatchSize);
            foreach (EtcdRequest r in _campaigns)
            {
                if (r.Op != op || !_pending.ContainsKey(r.Id))
                {
                    continue;
                }
                chunk.Add(r);
                if (chunk.Count == BatchSize)
                {
                    SendBatch(chunk, now);
                    chunk = new List<EtcdRequest>(BatchSize);
                }
            }
            if (chunk.Count != 0)
            {
                SendBatch(chunk, now);
            }
        }
        _campaigns.Clear();
    }

    void SendBatch(List<EtcdRequest> chunk, long now)
    {
        if (chunk.Count == 1)
        {
            _host.Send(chunk[0]);
            return;
        }
        int id = ++_nextId;
        _pending[id] = new Pending(chunk[0].Op, now, chunk[0].Lease, null);
        _batches[id] = chunk;
        _host.Send(new EtcdRequest(id, chunk[0].Op, chunk[0].Lease, Batch: chunk));
    }

    /// <summary>A batch's answer, handed to each of its groups as the answer to its own campaign.</summary>
    void BatchAnswered(IReadOnlyList<EtcdRequest> batch, in EtcdReply reply, long now)
    {
        if (!reply.Ok)
        {
            // Refused, or lost: one key etcd will not write (no permission, say) must not
            // keep the others from theirs. Each goes again on its own, now.
            foreach (EtcdRequest one in batch)
            {
                if (_pending.ContainsKey(one.Id))
                {
                    _host.Send(one);
                }
            }
            return;
        }
        Dictionary<string, EtcdKeyValue>? held = null;
        if (reply.Ok && !reply.Succeeded)
        {
            held = new Dictionary<string, EtcdKeyValue>(StringComparer.Ordinal);
            foreach (EtcdKeyValue kv in reply.Kvs ?? [])
            {
                held[kv.Key] = kv;
            }
        }
        foreach (EtcdRequest one in batch)
        {
            EtcdReply mine = reply.Succeeded ? new EtcdReply(one.Id, one.Op, true, Succeeded: true, Revision: reply.Revision)
                : held!.TryGetValue(one.Key, out EtcdKeyValue kv)
                    ? new EtcdReply(one.Id, one.Op, true, Exists: true, Value: kv.Value, ValueLease: kv.Lease, Revision: reply.Revision)
                    : new EtcdReply(one.Id, one.Op, true, Revision: reply.Revision);
            OnReply(mine, now);
        }
    }

    /// <summary>A group's request given up on (its reply, if one comes, is dropped).</summary>
    internal void Forget(int id) => _pending.Remove(id);

    static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
}
