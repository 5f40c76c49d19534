using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Etcd;

/// <summary>
/// Follow mode (--follow-key): no election. The group holds its address exactly while an
/// etcd key that another program writes (Patroni's /service/CLUSTER/leader) holds this
/// node's value, as vip-manager does. Pure, as the other elections: time comes in as
/// "now", requests go out through <see cref="IEtcdHost"/>, replies come back through
/// <see cref="OnReply"/>. Only reads and a watch are sent; nothing is ever written.
///
/// The watch brings changes at once; a linearizable read every TTL/3 (TTL = advbase x
/// deadratio s) proves etcd can still be read, and catches a watch gone quiet (a member
/// cut off from the quorum keeps the stream open and says nothing). When no read has
/// succeeded for TTL, counted from when the last one that succeeded was sent, the node
/// can no longer know it is named: it releases the address until a read succeeds again.
/// </summary>
public sealed class FollowElection : IEtcdElection
{
    const long Ms = 1_000;
    static readonly long DemotionHold = 3 * Timing.Second;
    static readonly long RetryFirst = 200 * Ms;
    static readonly long RetryMost = 5 * Timing.Second;
    // While reads fail they go this often (each may take seconds to fail), so a node
    // notices soon that etcd is back; at most MaxReads are out at once.
    static readonly long ProbeEvery = 300 * Ms;
    const int MaxReads = 4;

    readonly record struct Pending(EtcdOp Op, long SentAt);

    readonly CarpSettings _settings;
    readonly FollowSettings _follow;
    readonly IEtcdHost _host;
    readonly RoleEffects _effects;
    readonly AnnouncementRefresh _refresh;
    readonly Dictionary<int, Pending> _pending = [];
    int _nextId;

    long _startedAt;
    bool _known;                // the key has been read
    string? _value;             // its value; null: it does not exist (nobody is leader)
    long _revision;             // the store revision that view is from
    long? _readSentAt;          // when the last read that succeeded was sent
    long? _readAt;              // the next periodic read
    bool _failing;              // the last read failed
    bool _stale;                // no read succeeded for TTL: not holding, said once
    int? _watch;                // the running watch's request id
    long _watchedSince;
    long? _retryAt;             // read and watch again after the watch broke
    long _backoff = RetryFirst;
    long? _holdUntil;           // SIGUSR2's 3 s
    bool _stopping;

    public FollowElection(CarpSettings settings, FollowSettings follow, IEtcdHost host)
    {
        _settings = settings;
        _follow = follow;
        _host = host;
        _effects = new RoleEffects(settings, host);
        Skew = new SkewInUse(settings.AdvSkew);
        _refresh = new AnnouncementRefresh(settings.GarpRefresh);
    }

    public CarpState State { get; private set; } = CarpState.Init;
    public bool Eligible { get; private set; } = true;
    public string? EligibilityReason { get; private set; }
    public bool LinkIsDown { get; private set; }
    public SkewInUse Skew { get; }
    public CarpCounters Counters { get; } = new();
    public IReadOnlyDictionary<Rejection, long> Rejections { get; } = new Dictionary<Rejection, long>();
    public long RejectedTotal => 0;

    /// <summary>Nothing to revoke: follow mode writes nothing to etcd.</summary>
    public bool Releasing => false;

    /// <summary>How long the key may go unread before the address is released: advbase x deadratio s, at least 1 s, in µs.</summary>
    public long Ttl => Math.Max(1, (long)_settings.AdvBase * _settings.DeadRatio) * Timing.Second;

    long ReadEvery => Ttl / 3;

    /// <summary>When the node stops trusting what it knows of the key, unless a read succeeds before.</summary>
    long? StaleAt => _stale || _stopping || State == CarpState.Init ? null : (_readSentAt ?? _startedAt) + Ttl;

    public long? NextDeadline => Min(Min(_readAt, StaleAt), Min(Min(_retryAt, _holdUntil), _refresh.Due));

    /// <summary>Only this node's own address is known: the key names a member, not an address.</summary>
    public IpAddress? MasterAddress(long now) => State == CarpState.Master ? _settings.Source : null;

    public void Start(long now)
    {
        _startedAt = now;
        SetState(CarpState.Backup, now);
        Read(now);
    }

    public void OnTimer(long now)
    {
        if (_stopping)
        {
            return;
        }
        if (StaleAt <= now)
        {
            _stale = true;
            long since = _readSentAt ?? _startedAt;
            _host.Write(LogLevel.Warning, Messages.FollowUnreadable(_follow.Key, (now - since) / (double)Timing.Second, State == CarpState.Master));
            Decide(now);
        }
        if (_holdUntil <= now)
        {
            _holdUntil = null;
            Decide(now);
        }
        if (_readAt <= now)
        {
            Read(now);
        }
        if (_retryAt <= now)
        {
            // The watch starts again from what this read answers.
            _retryAt = null;
            Read(now);
        }
        if (_refresh.TakeIfDue(now))
        {
            _effects.Announce(refresh: true);
        }
    }

    public void OnReply(in EtcdReply reply, long now)
    {
        if (!_pending.TryGetValue(reply.Id, out Pending p))
        {
            return; // a watch left for a new one, or the daemon is leaving
        }
        if (reply.Op != EtcdOp.Watch || reply.WatchEnded || !reply.Ok)
        {
            _pending.Remove(reply.Id);
        }
        if (_stopping)
        {
            return;
        }
        switch (reply.Op)
        {
            case EtcdOp.Get when !reply.Ok:
                if (!_failing)
                {
                    _failing = true;
                    _host.Write(LogLevel.Debug, Messages.FollowReadFailed(_follow.Key, Printable.Cut(reply.Error ?? "no answer")));
                }
                break;
            case EtcdOp.Get:
                ReadSucceeded(p.SentAt, now);
                // An answer older than what the watch has told already says nothing new.
                if (reply.Revision >= _revision)
                {
                    string? value = reply.Exists ? reply.Value ?? "" : null;
                    if (_known && value != _value && _watch is int missed)
                    {
                        // The watch did not bring this change (gone quiet, or its event is
                        // still on the way): leave it and watch afresh from this read.
                        _pending.Remove(missed);
                        _watch = null;
                    }
                    See(value, reply.Revision);
                }
                if (_watch is null && _retryAt is null)
                {
                    _watch = Send(EtcdOp.Watch, now, _revision + 1);
                    _watchedSince = now;
                }
                Decide(now);
                break;
            case EtcdOp.Watch when reply.WatchEnded || !reply.Ok:
                WatchBroke(now);
                break;
            case EtcdOp.Watch:
                if (reply.Revision > _revision)
                {
                    See(reply.Exists ? reply.Value ?? "" : null, reply.Revision);
                    Decide(now);
                }
                break;
        }
    }

    void ReadSucceeded(long sentAt, long now)
    {
        _failing = false;
        if (sentAt > (_readSentAt ?? long.MinValue))
        {
            _readSentAt = sentAt;
        }
        if (_stale && now < _readSentAt + Ttl)
        {
            _stale = false;
            _host.Write(LogLevel.Warning, Messages.FollowReadable(_follow.Key));
        }
    }

    /// <summary>What the key holds now; said once per change. Values are compared exactly.</summary>
    void See(string? value, long revision)
    {
        _revision = revision;
        if (_known && value == _value)
        {
            return;
        }
        _known = true;
        _value = value;
        _host.Write(LogLevel.Info, value is null ? Messages.FollowKeyMissing(_follow.Key) : Messages.FollowKeyHolds(_follow.Key, Printable.Cut(value)));
    }

    void WatchBroke(long now)
    {
        _watch = null;
        // A watch that ran a while was fine: its break starts the backoff afresh.
        if (now - _watchedSince > RetryMost)
        {
            _backoff = RetryFirst;
        }
        _retryAt = now + _backoff;
        _backoff = Math.Min(RetryMost, _backoff * 2);
    }

    /// <summary>MASTER exactly while the key, freshly read, names this node and nothing else keeps it out.</summary>
    void Decide(long now)
    {
        bool named = _known && !_stale && _value == _follow.Value;
        bool lead = named && Eligible && !LinkIsDown && _holdUntil is null && !_stopping;
        if (lead && State == CarpState.Backup)
        {
            SetState(CarpState.Master, now);
        }
        else if (!lead && State == CarpState.Master)
        {
            SetState(CarpState.Backup, now);
        }
    }

    /// <summary>A linearizable read of the key (no lease: not the holder's look of the election); the next one TTL/3 later.</summary>
    void Read(long now)
    {
        if (_pending.Values.Count(r => r.Op == EtcdOp.Get) < MaxReads)
        {
            Send(EtcdOp.Get, now);
        }
        _readAt = now + (_failing ? Math.Min(ProbeEvery, ReadEvery) : ReadEvery);
    }

    int Send(EtcdOp op, long now, long revision = 0)
    {
        int id = ++_nextId;
        _pending[id] = new Pending(op, now);
        _host.Send(new EtcdRequest(id, op, Key: _follow.Key, Revision: revision));
        return id;
    }

    public void ReportStatus() => _effects.ReportStatus(State, Eligible, Skew);

    /// <summary>--check-weight is refused with --follow-key: there is nothing to weigh.</summary>
    public void SetCheckWeight(byte weight, string why, long now) { }

    public void SetEligible(bool eligible, string reason, long now)
    {
        if (eligible == Eligible)
        {
            return;
        }
        Eligible = eligible;
        EligibilityReason = reason;
        _host.Write(LogLevel.Warning, eligible ? Messages.JoiningElection(reason) : Messages.LeavingElection(reason));
        Decide(now);
    }

    public void Demote(long now)
    {
        if (State != CarpState.Master)
        {
            return;
        }
        _holdUntil = now + DemotionHold;
        Decide(now);
    }

    public void LinkDown(long now)
    {
        LinkIsDown = true;
        Decide(now);
    }

    public void LinkUp(long now)
    {
        if (!LinkIsDown)
        {
            return;
        }
        LinkIsDown = false;
        Decide(now);
    }

    public void Shutdown(long now)
    {
        _host.Write(LogLevel.Debug, Messages.ExitSignal(_settings.DownScript));
        StopAll(runDownscript: true, now);
    }

    public void InterfaceLost(int revents, bool shutdownAtExit, long now)
    {
        _host.Write(LogLevel.Error, Messages.PollRevents(revents));
        StopAll(runDownscript: shutdownAtExit, now);
    }

    /// <summary>The daemon is leaving: the downscript when asked and not BACKUP; nothing to release in etcd.</summary>
    void StopAll(bool runDownscript, long now)
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
        _readAt = _retryAt = _holdUntil = null;
        _refresh.Follow(CarpState.Backup, now);
        _pending.Clear();
        _watch = null;
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
