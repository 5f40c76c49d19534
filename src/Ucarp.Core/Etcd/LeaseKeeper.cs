using Ucarp.Core.Carp;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Etcd;

/// <summary>What the lease keeper tells the session: the lease is there to campaign with, or gone.</summary>
internal interface ILeaseListener
{
    void LeaseGranted(long now);

    /// <summary>A renewal was answered after the lease could no longer be vouched for (a node holding nothing is not fenced): campaigns may go again.</summary>
    void LeaseTrustedAgain(long now);

    /// <summary>Expired, or no longer vouched for (fenced): every group gives its address up now.</summary>
    void LeaseGone(long now);
}

/// <summary>
/// A session's one lease: granted, renewed once per interval whatever the number of
/// groups (TTL/9 while a group holds an address, TTL/3 otherwise), fenced, revoked.
///
/// Fencing covers every key on the lease: etcd deletes them all when the lease expires,
/// TTL after the last renewal the server received, which is after it was sent. Once no
/// renewal sent in the last TTL - margin has been answered, the session can no longer
/// vouch for the lease: every group it holds an address for gives it up (downscript)
/// at once, a margin (TTL/3) before the server can expire the lease and let another node
/// win any of them; the lease is then abandoned (revoked once the scripts have run, in
/// case etcd is only slow) and a new one asked for.
/// </summary>
internal sealed class LeaseKeeper
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

    readonly IEtcdSessionHost _host;
    readonly RequestTracker _requests;
    readonly Reachability _reach;
    readonly ILeaseListener _listener;
    readonly RetriedRequest _grant;

    long? _lease;
    long _ttl;                  // µs, as granted
    long _renewedSentAt;
    long? _renewAt;
    bool _grantRefusedLogged;
    long? _revoking;
    int _masters;

    public LeaseKeeper(IEtcdSessionHost host, RequestTracker requests, Reachability reach, ILeaseListener listener, long ttlSeconds)
    {
        _host = host;
        _requests = requests;
        _reach = reach;
        _listener = listener;
        _grant = new RetriedRequest(requests, EtcdOp.Grant);
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

    /// <summary>Times the lease was fenced (given up unanswered) since the session began.</summary>
    public long Fences { get; private set; }

    /// <summary>When the last answered renewal (or the grant) was sent, while there is a lease.</summary>
    public long? RenewedSentAt => _lease is null ? null : _renewedSentAt;

    /// <summary>
    /// The latest a request that waits for the downscripts (a key's deletion, the lease's
    /// revoke) goes: when the lease could have expired anyway, had it been renewed just now.
    /// </summary>
    public long AfterScriptsDeadline(long now) => now + Math.Max(_ttl - Margin, 0);

    public bool Stopping { get; private set; }

    /// <summary>True while the revoke that must go out before exiting is unanswered.</summary>
    public bool Releasing { get; private set; }

    bool AnyMaster => _masters > 0;

    /// <summary>
    /// A node that holds an address renews nine times per TTL: an etcd leader election of
    /// up to TTL - margin - TTL/9 (2.8 s of the default 5 s; etcd's own default election
    /// timeout makes one take up to about 2 s) passes between its last answered renewal and
    /// the fence. Nine, not ten: with the sweep (one every 2 TTL) a holder's steady traffic
    /// stays under two requests a second (1.9 at a 5 s TTL; ten made it 2.1), for 56 ms
    /// less of that ride-out. A node that holds nothing renews three times per TTL: its
    /// lease only needs to be alive when it campaigns.
    /// </summary>
    long RenewEvery => AnyMaster ? Math.Max(100 * Ms, _ttl / 9) : Math.Max(100 * Ms, _ttl / 3);

    public long? NextDeadline => Deadlines.Min(Deadlines.Min(_renewAt, FenceAt), _grant.RetryAt);

    /// <summary>A group's role changed: a node that holds an address renews more often, from its last renewal on.</summary>
    public void RoleChanged(bool wasMaster, bool isMaster)
    {
        _masters += (isMaster ? 1 : 0) - (wasMaster ? 1 : 0);
        if (isMaster && !wasMaster && _lease is not null)
        {
            _renewAt = Math.Min(_renewAt ?? long.MaxValue, _renewedSentAt + RenewEvery);
        }
    }

    /// <summary>A group left while MASTER: it no longer counts as holding an address.</summary>
    public void MasterLeft() => _masters--;

    public void OnTimer(long now)
    {
        if (FenceAt <= now)
        {
            Fence(now);
        }
        if (_renewAt <= now && _lease is long lease)
        {
            int outstanding = _requests.Outstanding(EtcdOp.KeepAlive, lease);
            if (outstanding < MaxRenewals)
            {
                _requests.Send(new EtcdRequest(0, EtcdOp.KeepAlive, lease, Attempt: outstanding), now);
            }
            // Answered, it moves to RenewEvery after this one; unanswered by then, another goes out.
            _renewAt = now + RetryDelay;
        }
        if (_grant.RetryAt <= now)
        {
            _grant.RetryAt = null;
            if (_lease is null)
            {
                Grant(now);
            }
        }
    }

    long RetryDelay => _reach.Down ? ProbeEvery : RenewRetry;

    /// <summary>The lease can no longer be vouched for: every address on it is given up now, before etcd could expire it.</summary>
    void Fence(long now)
    {
        _host.Write(LogLevel.Warning, Messages.EtcdFence((now - _renewedSentAt) / (double)Timing.Second));
        Fences++;
        long old = _lease!.Value;
        DropLease();
        _listener.LeaseGone(now);
        // The lease may still be alive (etcd only slow): revoked once the downscripts have run,
        // and no later than it could have expired anyway.
        SendRevoke(old, now, AfterScriptsDeadline(now));
        Grant(now);
    }

    void DropLease()
    {
        _lease = null;
        _renewAt = null;
    }

    /// <summary>The answer to a grant, a renewal or a revoke (reachability already counted).</summary>
    public void OnReply(in EtcdReply reply, PendingRequest p, long now)
    {
        if (reply.Op == EtcdOp.Revoke && p.Lease == _revoking)
        {
            Releasing = false; // answered, or failed: either way nothing more is waited for
        }
        switch (reply.Op)
        {
            case EtcdOp.Grant when !reply.Ok:
                _grant.Answered();
                _grant.Later(now);
                break;
            case EtcdOp.Grant:
                Granted(reply, p, now);
                break;
            case EtcdOp.KeepAlive when p.Lease != _lease:
                break;
            case EtcdOp.KeepAlive when !reply.Ok:
                // Try again soon: the fence deadline is what gives the addresses up.
                _renewAt = Math.Min(_renewAt ?? long.MaxValue, now + RetryDelay);
                break;
            case EtcdOp.KeepAlive when reply.Ttl <= 0:
                LeaseLost(now);
                break;
            case EtcdOp.KeepAlive when p.SentAt > _renewedSentAt:
                bool trusted = Trusted(now);
                _renewedSentAt = p.SentAt;
                _renewAt = p.SentAt + RenewEvery;
                if (!trusted && Trusted(now))
                {
                    _listener.LeaseTrustedAgain(now);
                }
                break;
        }
    }

    void Granted(in EtcdReply reply, PendingRequest p, long now)
    {
        _grant.Answered();
        if (Stopping)
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
                _requests.Send(new EtcdRequest(0, EtcdOp.Revoke, reply.Lease), now);
            }
            _grant.Later(now);
            return;
        }
        _grantRefusedLogged = false;
        _lease = reply.Lease;
        _ttl = Math.Max(1, reply.Ttl) * Timing.Second;
        _renewedSentAt = p.SentAt;
        _renewAt = p.SentAt + RenewEvery;
        _grant.Succeeded();
        _host.Write(LogLevel.Info, Messages.EtcdLease(reply.Lease, reply.Ttl));
        _listener.LeaseGranted(now);
    }

    void LeaseLost(long now)
    {
        DropLease();
        if (AnyMaster)
        {
            _host.Write(LogLevel.Warning, Messages.EtcdLeaseLost);
        }
        _listener.LeaseGone(now);
        Grant(now);
    }

    /// <summary>etcd is back: a grant sent while cut off, or waiting for its backoff, goes now.</summary>
    public void Reconnected(long now)
    {
        _grant.Reconnected(now);
        if (_grant.RetryAt is not null)
        {
            _grant.RetryAt = now;
        }
    }

    /// <summary>Asks for a lease, unless one is there or asked for already.</summary>
    public void Grant(long now)
    {
        if (_grant.Out || Stopping || _lease is not null)
        {
            return;
        }
        _grant.Send(new EtcdRequest(0, EtcdOp.Grant, Ttl: RequestedTtlSeconds), now);
    }

    /// <summary>The daemon is leaving: no more renewals or grants; the lease is revoked once every group's downscript has run.</summary>
    public void Stop(long now)
    {
        Stopping = true;
        _renewAt = _grant.RetryAt = null;
        if (_lease is long lease)
        {
            _lease = null;
            SendRevoke(lease, now, AfterScriptsDeadline(now));
        }
    }

    void SendRevoke(long lease, long now, long? afterScriptsDeadline)
    {
        EtcdRequest request = _requests.Track(new EtcdRequest(0, EtcdOp.Revoke, lease), now);
        if (Stopping)
        {
            _revoking = lease;
            Releasing = true;
        }
        if (afterScriptsDeadline is long deadline)
        {
            _host.SendAfterScripts(request, deadline);
        }
        else
        {
            _host.Send(request);
        }
    }
}
