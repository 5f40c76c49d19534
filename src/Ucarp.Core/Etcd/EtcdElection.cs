using System.Globalization;
using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Etcd;

/// <summary>
/// The role decided by an etcd v3 lease instead of CARP adverts. Pure, as the CARP
/// machine: time comes in as "now", requests go out through <see cref="IEtcdHost"/>
/// and their replies come back through <see cref="OnReply"/>.
///
/// One key per virtual address holds the holder's record, attached to the holder's
/// lease (TTL advbase x deadratio s). Every node keeps a lease of its own alive and
/// watches the key; when the key is absent a node campaigns with a transaction that
/// creates it only if it does not exist, after advskew milliseconds, so the lowest
/// advskew campaigns first and one transaction wins.
///
/// Fencing: etcd expires a lease TTL after the last renewal it received, and a
/// renewal is received after it is sent. A holder that has not had a renewal answered
/// for TTL - margin, counted on its own monotonic clock from when it sent the last
/// one that succeeded, therefore gives the address up (downscript) at least a margin
/// before the server can expire the lease, delete the key and let another node win.
/// The margin (TTL/3) must cover the downscript's run time and the clocks' rate
/// difference, which is parts per million.
/// </summary>
public sealed class EtcdElection : IEtcdElection
{
    const long Ms = 1_000;
    static readonly long DemotionHold = 3 * Timing.Second;
    static readonly long RetryFirst = 200 * Ms;
    static readonly long RetryMost = 5 * Timing.Second;
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

    readonly record struct Pending(EtcdOp Op, long SentAt, long Lease);

    readonly CarpSettings _settings;
    readonly EtcdSettings _etcd;
    readonly IEtcdHost _host;
    readonly RoleEffects _effects;
    readonly AnnouncementRefresh _refresh;
    readonly Dictionary<int, Pending> _pending = [];
    int _nextId;

    long? _lease;               // our lease, once granted
    long _ttl;                  // its TTL as granted, µs
    long _renewedSentAt;        // when the last renewal that succeeded was sent
    bool _granting;
    long? _renewAt;
    long? _fenceAt;             // MASTER: give up then unless renewed
    long? _retryAt;             // re-grant or re-watch after a failure
    long _backoff = RetryFirst;
    Reach _reach;

    bool _keyKnown;             // we have read the key since the last watch broke
    HolderRecord? _holder;
    long _holderLease;
    int? _watch;                // the running watch's request id
    bool _getting;
    long? _campaignAt;
    bool _campaigning;
    long? _holdUntil;           // SIGUSR2's 3 s
    bool _preemptFiled;
    string? _preemptHonoured;   // MASTER: the -P request (lease:value) already handed over for once
    long? _lookAt;              // MASTER: when to read our key and the -P request again
    bool _foreign;              // the key stands but is not a holder record on a lease: nobody holds it
    string? _foreignLogged;     // which such value was logged (once each)
    bool _grantRefusedLogged;
    long? _checkAt;             // BACKUP: when to read the key again, in case the watch went quiet
    bool _stopping;
    long? _revoking;            // the lease whose revoke must go out before exiting
    byte? _recordSkew;          // the advskew our record in the key carries, as last written

    public EtcdElection(CarpSettings settings, EtcdSettings etcd, IEtcdHost host)
    {
        _settings = settings;
        _etcd = etcd;
        _host = host;
        _effects = new RoleEffects(settings, host);
        Skew = new SkewInUse(settings.AdvSkew);
        _refresh = new AnnouncementRefresh(settings.GarpRefresh);
    }

    public CarpState State { get; private set; } = CarpState.Init;
    public bool Eligible { get; private set; } = true;
    public string? EligibilityReason { get; private set; }
    public bool LinkIsDown { get; private set; }
    public SkewInUse Skew { get; private set; }
    public CarpCounters Counters { get; } = new();
    public IReadOnlyDictionary<Rejection, long> Rejections { get; } = new Dictionary<Rejection, long>();
    public long RejectedTotal => 0;

    /// <summary>The lease's TTL as etcd granted it, in µs (0 before the first grant).</summary>
    public long Ttl => _ttl;

    /// <summary>True while a request that must go out before exiting (the revoke) is unanswered.</summary>
    public bool Releasing { get; private set; }

    /// <summary>The requested TTL in seconds: advbase x deadratio, at least 1.</summary>
    public long RequestedTtlSeconds => Math.Max(1, (long)_settings.AdvBase * _settings.DeadRatio);

    /// <summary>
    /// A backup renews every advbase (at most every TTL/3); the holder ten times per TTL, so
    /// that an etcd leader election of up to half the TTL (1.5 s of 3 s) passes between its
    /// last answered renewal and the fence (TTL - TTL/3).
    /// </summary>
    long RenewEvery => State == CarpState.Master ? Math.Max(100 * Ms, _ttl / 10)
        : _settings.AdvBase == 0 ? _ttl / 3 : Math.Min(_settings.AdvBase * Timing.Second, _ttl / 3);

    /// <summary>How often the holder reads its key and the -P request: three times per TTL.</summary>
    long LookEvery => _ttl / 3;

    long Margin => _ttl / 3;

    /// <summary>How long before campaigning: advskew milliseconds, so a lower advskew campaigns first.</summary>
    long CampaignDelay => Skew.Value * Ms;

    /// <summary>Our holder record, with the advskew in use: what a -P node compares its own with.</summary>
    string Record() => new HolderRecord(_settings.Source.ToString(), Skew.Value, _etcd.Host, _settings.Interface, _settings.Vhid).ToJson();

    public long? NextDeadline => Min(Min(Min(_renewAt, _fenceAt), Min(_retryAt, _campaignAt)), Min(Min(Min(_holdUntil, _lookAt), _checkAt), _refresh.Due));

    public IpAddress? MasterAddress(long now) =>
        State == CarpState.Master ? _settings.Source
        : _holder is HolderRecord h && Inet.TryParse(h.Holder, out IpAddress a) ? a
        : null;

    public void Start(long now)
    {
        SetState(CarpState.Backup, now);
        Grant(now);
    }

    public void OnTimer(long now)
    {
        if (_stopping)
        {
            return;
        }
        if (_fenceAt <= now && State == CarpState.Master)
        {
            _host.Write(LogLevel.Warning, Messages.EtcdFence((now - _renewedSentAt) / (double)Timing.Second));
            // The lease may be gone: treat it as lost, and revoke it in case it is not.
            LeaveMaster(now, revoke: true);
        }
        if (_holdUntil <= now)
        {
            _holdUntil = null;
            MaybeCampaign(now);
        }
        if (_renewAt <= now && _lease is long lease)
        {
            int outstanding = _pending.Values.Count(p => p.Op == EtcdOp.KeepAlive && p.Lease == lease);
            if (outstanding < MaxRenewals)
            {
                Send(EtcdOp.KeepAlive, now, lease, attempt: outstanding);
            }
            // Answered, it moves to RenewEvery after this one; unanswered by then, another goes out.
            _renewAt = now + (_reach == Reach.Down ? ProbeEvery : RenewRetry);
        }
        if (_checkAt <= now)
        {
            _checkAt = null;
            if (State == CarpState.Backup && _watch is not null)
            {
                Observe(now);
            }
        }
        if (_lookAt <= now)
        {
            _lookAt = State == CarpState.Master ? now + LookEvery : null;
            if (State == CarpState.Master && _lease is long ours)
            {
                // Our key, read (linearizable) rather than trusted to the watch: a watch on a
                // member cut off from the quorum goes quiet, and would hide a deletion.
                Send(EtcdOp.Get, now, ours, _etcd.Key);
                Send(EtcdOp.GetPreempt, now, key: _etcd.PreemptKey);
                RefreshRecord(now);
            }
        }
        if (_retryAt <= now)
        {
            _retryAt = null;
            if (_lease is null)
            {
                Grant(now);
            }
            else if (_watch is null)
            {
                Observe(now);
            }
        }
        if (_refresh.TakeIfDue(now))
        {
            _effects.Announce(refresh: true);
        }
        if (_campaignAt <= now)
        {
            _campaignAt = null;
            if (CanCampaign && _lease is long l)
            {
                _campaigning = true;
                _recordSkew = Skew.Value;
                Send(EtcdOp.Campaign, now, l, _etcd.Key, Record());
            }
        }
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
        if (reply.Op == EtcdOp.Revoke && p.Lease == _revoking)
        {
            // Answered, or failed: either way nothing more is waited for before exiting.
            Releasing = false;
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
                _granting = false;
                if (_stopping)
                {
                    Revoke(reply.Lease, now, afterScripts: false);
                    return;
                }
                if (reply.Lease <= 0 || reply.Ttl < RequestedTtlSeconds || reply.Ttl > RequestedTtlSeconds + MaxTtlExcess)
                {
                    RefuseGrant(reply, now);
                    return;
                }
                _grantRefusedLogged = false;
                _lease = reply.Lease;
                _ttl = Math.Max(1, reply.Ttl) * Timing.Second;
                _renewedSentAt = p.SentAt;
                _renewAt = p.SentAt + RenewEvery;
                _backoff = RetryFirst;
                _host.Write(LogLevel.Info, Messages.EtcdLease(reply.Lease, reply.Ttl));
                if (_watch is null && !_getting)
                {
                    Observe(now);
                }
                else
                {
                    MaybeCampaign(now);
                }
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
                if (State == CarpState.Master)
                {
                    _fenceAt = _renewedSentAt + _ttl - Margin;
                }
                break;

            case EtcdOp.Get:
                if (p.Lease != 0)
                {
                    // The holder's own look at its key.
                    if (p.Lease == _lease && State == CarpState.Master && (!reply.Exists || reply.ValueLease != p.Lease))
                    {
                        _host.Write(LogLevel.Warning, Messages.EtcdKeyLost);
                        LeaveMaster(now, revoke: true);
                        if (_watch is int quiet)
                        {
                            // The watch did not say so: it went quiet. Read and watch afresh.
                            _pending.Remove(quiet);
                            _watch = null;
                            _keyKnown = false;
                            Observe(now);
                        }
                    }
                    break;
                }
                _getting = false;
                _keyKnown = true;
                if (_watch is int stale && (reply.Exists ? reply.ValueLease : 0) != _holderLease)
                {
                    // The watch missed a change: its stream went quiet (a member cut off
                    // without closing the connection). Leave it and watch afresh.
                    _pending.Remove(stale);
                    _watch = null;
                }
                Holder(reply, now);
                _watch ??= Send(EtcdOp.Watch, now, key: _etcd.Key, revision: reply.Revision + 1);
                _checkAt = State == CarpState.Backup ? now + _ttl : null;
                MaybeCampaign(now);
                break;

            case EtcdOp.Watch:
                if (reply.WatchEnded)
                {
                    WatchBroke(now);
                    return;
                }
                if (State == CarpState.Master && (!reply.Exists || reply.ValueLease != _holderLease))
                {
                    // Deleted or overwritten under us (by hand, or our lease expired).
                    _host.Write(LogLevel.Warning, Messages.EtcdKeyLost);
                    LeaveMaster(now, revoke: true);
                }
                Holder(reply, now);
                MaybeCampaign(now);
                break;

            case EtcdOp.Campaign:
                _campaigning = false;
                if (reply.Succeeded)
                {
                    Won(p, now);
                }
                else
                {
                    Holder(reply with { Exists = true }, now);
                    MaybeCampaign(now);
                }
                break;

            case EtcdOp.GetPreempt:
                Preempt(reply, now);
                break;
        }
    }

    /// <summary>
    /// A -P request is handed over for once. Found again after that, its author did not
    /// take over (it left the election, or could not): it is stale, and deleted rather than
    /// obeyed, so a candidate that cannot hold never makes the holder resign in a loop.
    /// </summary>
    void Preempt(in EtcdReply reply, long now)
    {
        if (State != CarpState.Master)
        {
            return;
        }
        if (!reply.Exists)
        {
            _preemptHonoured = null;
            return;
        }
        if (HolderRecord.Parse(reply.Value) is not HolderRecord candidate
            || candidate.AdvSkew >= Skew.Value || candidate.Holder == _settings.Source.ToString())
        {
            return;
        }
        string request = string.Create(CultureInfo.InvariantCulture, $"{reply.ValueLease}:{reply.Value}");
        if (request == _preemptHonoured)
        {
            // Remembered until the key is seen gone: a delete that fails is not obeyed next time either.
            _host.Write(LogLevel.Warning, Messages.EtcdPreemptStale(candidate.Holder, candidate.AdvSkew));
            Send(EtcdOp.DeletePreempt, now, key: _etcd.PreemptKey);
            return;
        }
        _preemptHonoured = request;
        _host.Write(LogLevel.Warning, Messages.EtcdPreemptAsked(candidate.Holder, candidate.AdvSkew));
        Resign(now);
    }

    /// <summary>A lease we will not hold on: no ID, or a TTL not what was asked (see <see cref="MaxTtlExcess"/>).</summary>
    void RefuseGrant(in EtcdReply reply, long now)
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
        RetryLater(now);
    }

    /// <summary>Out of the election: a -P request of ours would make the holder resign for nothing.</summary>
    void WithdrawPreempt(long now)
    {
        if (_preemptFiled)
        {
            _preemptFiled = false;
            Send(EtcdOp.DeletePreempt, now, key: _etcd.PreemptKey);
        }
    }

    void Failed(in EtcdReply reply, Pending p, long now)
    {
        Unreachable(reply.Error ?? "no answer");
        switch (reply.Op)
        {
            case EtcdOp.Grant:
                _granting = false;
                RetryLater(now);
                break;
            case EtcdOp.KeepAlive:
                // Try again soon: the fence deadline is what gives the address up.
                if (p.Lease == _lease)
                {
                    _renewAt = Math.Min(_renewAt ?? long.MaxValue, now + (_reach == Reach.Down ? ProbeEvery : RenewRetry));
                }
                break;
            case EtcdOp.Get:
                if (p.Lease == 0)
                {
                    _getting = false;
                    RetryLater(now);
                }
                break;
            case EtcdOp.Watch:
                WatchBroke(now);
                break;
            case EtcdOp.Campaign:
                // Whether it was applied is unknown. The watch tells: if it already showed
                // the key with our lease, we won; if it shows it later, Holder() takes it.
                _campaigning = false;
                if (_lease is long ours && _holderLease == ours)
                {
                    Won(new Pending(EtcdOp.Campaign, now, ours), now);
                }
                else
                {
                    MaybeCampaign(now);
                }
                break;
            case EtcdOp.PutPreempt:
                _preemptFiled = false; // asked again at the next chance
                break;
            case EtcdOp.Refresh:
                _recordSkew = null; // written again at the next preempt check
                break;
        }
    }

    void WatchBroke(long now)
    {
        _watch = null;
        _keyKnown = false;
        _campaignAt = null;
        RetryLater(now);
    }

    void RetryLater(long now)
    {
        _retryAt = Math.Min(_retryAt ?? long.MaxValue, now + _backoff);
        _backoff = Math.Min(RetryMost, _backoff * 2);
    }

    void Reachable(long now)
    {
        if (_reach == Reach.Down)
        {
            _host.Write(LogLevel.Warning, Messages.EtcdReachable);
            // Back: what waits for a retry (a lease, the watch) goes now, not after the
            // backoff, and a grant or read sent while cut off is not waited for (it may take
            // seconds to fail): its answer, if one comes, is ignored.
            _backoff = RetryFirst;
            bool abandoned = false;
            foreach ((int id, Pending p) in _pending)
            {
                if (p.Op == EtcdOp.Grant || (p.Op == EtcdOp.Get && p.Lease == 0))
                {
                    abandoned = _pending.Remove(id);
                }
            }
            _granting = _getting = false;
            if (abandoned || _retryAt is not null)
            {
                _retryAt = now;
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

    /// <summary>What a read or watch event says of the key.</summary>
    void Holder(in EtcdReply reply, long now) =>
        Holder(reply.Exists ? HolderRecord.Parse(reply.Value) : null, reply.Exists ? reply.ValueLease : 0, reply.Exists, now, reply.Value);

    /// <summary>What the key says now; logged when the holder changes.</summary>
    void Holder(HolderRecord? record, long lease, bool exists, long now, string? value = null)
    {
        HolderRecord? before = _holder;
        long beforeLease = _holderLease;
        bool wasForeign = _foreign;
        // Written by hand (no lease), or not a holder record: nobody holds the address, and
        // nobody can create the key while it stands. Said once per value; no campaign until it changes.
        _foreign = exists && (lease == 0 || record is null);
        _holder = exists && !_foreign ? record : null;
        _holderLease = exists ? lease : 0;
        if (_foreign)
        {
            string seen = string.Create(CultureInfo.InvariantCulture, $"{lease}:{value}");
            if (seen != _foreignLogged)
            {
                _foreignLogged = seen;
                _host.Write(LogLevel.Warning, Messages.EtcdForeignKey(_etcd.Key, Printable.Cut(value ?? ""), lease));
            }
            return;
        }
        _foreignLogged = null;
        if (exists && lease == _lease)
        {
            // Our own key: a campaign whose answer was lost did win. Take the role, or
            // give the key back if we may not hold it now.
            _holder = null;
            if (State == CarpState.Backup && !_campaigning && _lease is long ours)
            {
                Won(new Pending(EtcdOp.Campaign, now, ours), now);
            }
            return;
        }
        if (!wasForeign && _holderLease == beforeLease && Equals(_holder, before))
        {
            return;
        }
        _host.Write(LogLevel.Info, _holder is HolderRecord h ? Messages.EtcdHeldBy(h.Holder, h.AdvSkew, h.Host) : Messages.EtcdFree);
    }

    bool CanCampaign => State == CarpState.Backup && Eligible && !LinkIsDown && _holdUntil is null && !_stopping
                        && _keyKnown && _holderLease == 0 && !_foreign && !_campaigning && _lease is not null;

    /// <summary>Campaigns advskew ms after the key is seen free; with -P asks a slower holder to hand over.</summary>
    void MaybeCampaign(long now)
    {
        if (CanCampaign)
        {
            _campaignAt ??= now + CampaignDelay;
            return;
        }
        _campaignAt = null;
        if (_settings.Preempt && State == CarpState.Backup && Eligible && !LinkIsDown && _holdUntil is null && !_stopping
            && _holder is HolderRecord h && h.AdvSkew > Skew.Value && _lease is long lease && !_preemptFiled)
        {
            _preemptFiled = true;
            _host.Write(LogLevel.Warning, Messages.EtcdPreempting(h.Holder, h.AdvSkew));
            Send(EtcdOp.PutPreempt, now, lease, _etcd.PreemptKey, Record());
        }
    }

    /// <summary>MASTER: rewrites our record when the advskew in use has changed (--check-weight), so -P nodes compare with it.</summary>
    void RefreshRecord(long now)
    {
        if (State == CarpState.Master && _lease is long lease && _recordSkew != Skew.Value)
        {
            _recordSkew = Skew.Value;
            Send(EtcdOp.Refresh, now, lease, _etcd.Key, Record());
        }
    }

    void Won(Pending p, long now)
    {
        if (p.Lease != _lease || State != CarpState.Backup)
        {
            return;
        }
        _holder = null;
        _holderLease = p.Lease;
        _campaignAt = null;
        // Lost the right to it while the transaction was out, or the lease has gone so
        // long unrenewed that it may have expired (the answer came late, or etcd was out
        // of reach): hand it straight back rather than hold it on a lease we cannot trust.
        if (!Eligible || _stopping || LinkIsDown || _holdUntil is not null || now >= _renewedSentAt + _ttl - Margin)
        {
            _lease = null;
            _renewAt = null;
            Revoke(p.Lease, now, afterScripts: false);
            Grant(now);
            return;
        }
        SetState(CarpState.Master, now);
        _fenceAt = _renewedSentAt + _ttl - Margin;
        _renewAt = Math.Min(_renewAt ?? long.MaxValue, _renewedSentAt + RenewEvery);
        _lookAt = now + LookEvery;
        RefreshRecord(now);
        if (_preemptFiled)
        {
            _preemptFiled = false;
            Send(EtcdOp.DeletePreempt, now, key: _etcd.PreemptKey);
        }
    }

    void LeaseLost(long now)
    {
        if (State == CarpState.Master)
        {
            _host.Write(LogLevel.Warning, Messages.EtcdLeaseLost);
            LeaveMaster(now, revoke: false); // the lease is gone: nothing to revoke
        }
        else
        {
            _lease = null;
            _renewAt = null;
            Grant(now);
        }
    }

    /// <summary>
    /// Leaves MASTER on purpose (SIGUSR2, -P, a failing check, a -z stop): downscript,
    /// then the lease is revoked once it has run, which deletes the key at once.
    /// </summary>
    void Resign(long now) => LeaveMaster(now, revoke: true);

    /// <summary>
    /// MASTER to BACKUP, on purpose or because the lease cannot be trusted (or is gone):
    /// the downscript, then (when asked) the old lease's revoke, after the
    /// downscript so the address is gone before anyone can take it, and no later than the
    /// lease would have expired anyway; a fresh lease for later campaigns.
    /// </summary>
    void LeaveMaster(long now, bool revoke)
    {
        long? lease = _lease;
        SetState(CarpState.Backup, now);
        _fenceAt = null;
        _lookAt = null;
        _preemptFiled = false;
        _lease = null;
        _renewAt = null;
        if (revoke && lease is long l)
        {
            Revoke(l, now, afterScripts: true);
        }
        if (!_stopping)
        {
            Grant(now);
        }
    }

    void Revoke(long lease, long now, bool afterScripts)
    {
        int id = ++_nextId;
        _pending[id] = new Pending(EtcdOp.Revoke, now, lease);
        _revoking = lease;
        Releasing = true;
        var request = new EtcdRequest(id, EtcdOp.Revoke, lease);
        if (afterScripts)
        {
            _host.SendAfterScripts(request, now + Math.Max(_ttl - Margin, 0));
        }
        else
        {
            _host.Send(request);
        }
    }

    void Grant(long now)
    {
        if (_granting || _stopping)
        {
            return;
        }
        _granting = true;
        Send(EtcdOp.Grant, now, ttl: RequestedTtlSeconds);
    }

    void Observe(long now)
    {
        if (_getting)
        {
            return;
        }
        _getting = true;
        Send(EtcdOp.Get, now, key: _etcd.Key);
    }

    int Send(EtcdOp op, long now, long lease = 0, string key = "", string value = "", long revision = 0, long ttl = 0, int attempt = 0)
    {
        int id = ++_nextId;
        _pending[id] = new Pending(op, now, lease);
        _host.Send(new EtcdRequest(id, op, lease, key, value, revision, ttl, attempt));
        return id;
    }

    public void ReportStatus() => _effects.ReportStatus(State, Eligible, Skew);

    /// <summary>
    /// --check-weight: campaign and compare with advskew + weight (0: our own again). A
    /// holder rewrites its record so -P nodes see it and ask for the address; a backup
    /// that is now preferred asks at once.
    /// </summary>
    public void SetCheckWeight(byte weight, string why, long now)
    {
        SkewInUse before = Skew;
        Skew = before with { Weight = weight, Why = why };
        if (Skew == before)
        {
            return;
        }
        _host.Write(LogLevel.Warning, Messages.SkewInUse(Skew.Describe()!));
        if (State == CarpState.Master)
        {
            RefreshRecord(now);
        }
        else if (State == CarpState.Backup)
        {
            // A -P request filed with a lower advskew than we now have would make the holder
            // hand over to a node no better than itself.
            if (_preemptFiled && _holder is HolderRecord h && h.AdvSkew <= Skew.Value)
            {
                WithdrawPreempt(now);
            }
            MaybeCampaign(now);
        }
    }

    public void SetEligible(bool eligible, string reason, long now)
    {
        if (eligible == Eligible)
        {
            return;
        }
        Eligible = eligible;
        EligibilityReason = reason;
        if (!eligible)
        {
            _host.Write(LogLevel.Warning, Messages.LeavingElection(reason));
            _campaignAt = null;
            WithdrawPreempt(now);
            if (State == CarpState.Master)
            {
                Resign(now);
            }
            return;
        }
        _host.Write(LogLevel.Warning, Messages.JoiningElection(reason));
        MaybeCampaign(now);
    }

    public void Demote(long now)
    {
        if (State != CarpState.Master)
        {
            return;
        }
        _holdUntil = now + DemotionHold;
        Resign(now);
    }

    public void LinkDown(long now)
    {
        LinkIsDown = true;
        _campaignAt = null;
        WithdrawPreempt(now);
        if (State == CarpState.Master)
        {
            Resign(now);
        }
    }

    public void LinkUp(long now)
    {
        if (!LinkIsDown)
        {
            return;
        }
        LinkIsDown = false;
        MaybeCampaign(now);
    }

    public void Shutdown(long now)
    {
        _host.Write(LogLevel.Debug, Messages.ExitSignal(_settings.DownScript));
        StopAll(now, runDownscript: true);
    }

    public void InterfaceLost(int revents, bool shutdownAtExit, long now)
    {
        _host.Write(LogLevel.Error, Messages.PollRevents(revents));
        StopAll(now, runDownscript: shutdownAtExit);
    }

    /// <summary>The daemon is leaving: the downscript when asked and not BACKUP, then the lease revoked.</summary>
    void StopAll(long now, bool runDownscript)
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        if (State != CarpState.Backup && runDownscript)
        {
            _effects.RunDown();
        }
        _campaignAt = _renewAt = _fenceAt = _retryAt = _holdUntil = _lookAt = _checkAt = null;
        if (_lease is long lease)
        {
            _lease = null;
            Revoke(lease, now, afterScripts: State == CarpState.Master);
        }
    }

    void SetState(CarpState state, long now)
    {
        if (State == state)
        {
            return;
        }
        _effects.Enter(State, state);
        State = state;
        _refresh.Follow(state, now);
        Counters.Transitions++;
        _host.RoleChanged(state, now);
    }

    static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
}
