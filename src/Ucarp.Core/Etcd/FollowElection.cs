using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Election;
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
public sealed class FollowElection : ElectionBase, IEtcdReplies
{
    const long Ms = 1_000;
    // While reads fail they go this often (each may take seconds to fail), so a node
    // notices soon that etcd is back; at most MaxReads are out at once.
    static readonly long ProbeEvery = 300 * Ms;
    const int MaxReads = 4;

    readonly record struct Pending(EtcdOp Op, long SentAt);

    readonly FollowSettings _follow;
    readonly IEtcdHost _host;
    readonly Dictionary<int, Pending> _pending = [];
    int _nextId;

    long _startedAt;
    bool _known;                // the key has been read
    string? _value;             // its value; null: it does not exist (nobody is leader)
    long _revision;             // the store revision that view is from
    long? _readSentAt;          // when the last read that succeeded was sent
    long? _readAt;              // the next periodic read
    bool _failing;              // the last read failed

    /// <summary>The last read of the key was answered (follow mode has no lease to show).</summary>
    public bool Reachable => !_failing;
    bool _stale;                // no read succeeded for TTL: not holding, said once
    int? _watch;                // the running watch's request id
    long _watchedSince;
    long? _retryAt;             // read and watch again after the watch broke
    Backoff _backoff = Backoff.Etcd;
    bool _stopping;

    public FollowElection(CarpSettings settings, FollowSettings follow, IEtcdHost host) : base(settings, host, host)
    {
        _follow = follow;
        _host = host;
    }

    /// <summary>How long the key may go unread before the address is released: advbase x deadratio s, at least 1 s, in µs.</summary>
    public long Ttl => Math.Max(1, (long)Settings.AdvBase * Settings.DeadRatio) * Timing.Second;

    long ReadEvery => Ttl / 3;

    /// <summary>When the node stops trusting what it knows of the key, unless a read succeeds before.</summary>
    long? StaleAt => _stale || _stopping || State == CarpState.Init ? null : (_readSentAt ?? _startedAt) + Ttl;

    protected override long? DecisionDeadline => Min(Min(_readAt, StaleAt), _retryAt);

    /// <summary>Only this node's own address is known: the key names a member, not an address.</summary>
    public override IpAddress? MasterAddress(long now) => State == CarpState.Master ? Settings.Source : null;

    public override void Start(long now)
    {
        _startedAt = now;
        SetState(CarpState.Backup, now);
        Read(now);
    }

    public override void OnTimer(long now)
    {
        if (_stopping)
        {
            return;
        }
        if (StaleAt <= now)
        {
            _stale = true;
            long since = _readSentAt ?? _startedAt;
            Log.Write(LogLevel.Warning, Messages.FollowUnreadable(_follow.Key, (now - since) / (double)Timing.Second, State == CarpState.Master));
            Decide(now);
        }
        if (HoldEnds(now))
        {
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
        RefreshIfDue(now);
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
                    Log.Write(LogLevel.Debug, Messages.FollowReadFailed(_follow.Key, Printable.Cut(reply.Error ?? "no answer")));
                    // The next read was set for TTL/3 after this one went, before its failure was
                    // known: from now on reads probe every 300 ms, the first 300 ms after this one.
                    _readAt = Math.Max(now, Math.Min(_readAt ?? long.MaxValue, p.SentAt + Math.Min(ProbeEvery, ReadEvery)));
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
            Log.Write(LogLevel.Warning, Messages.FollowReadable(_follow.Key));
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
        Log.Write(LogLevel.Info, value is null ? Messages.FollowKeyMissing(_follow.Key) : Messages.FollowKeyHolds(_follow.Key, Printable.Cut(value)));
    }

    void WatchBroke(long now)
    {
        _watch = null;
        // A watch that ran a while was fine: its break starts the backoff afresh.
        if (now - _watchedSince > _backoff.Most)
        {
            _backoff.Reset();
        }
        _retryAt = now + _backoff.Next();
    }

    /// <summary>MASTER exactly while the key, freshly read, names this node and nothing else keeps it out.</summary>
    void Decide(long now)
    {
        bool named = _known && !_stale && _value == _follow.Value;
        bool lead = named && Eligible && !LinkIsDown && HoldUntil is null && !_stopping;
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
        if (PendingReads() < MaxReads)
        {
            Send(EtcdOp.Get, now);
        }
        _readAt = now + (_failing ? Math.Min(ProbeEvery, ReadEvery) : ReadEvery);
    }

    int PendingReads()
    {
        int reads = 0;
        foreach (Pending p in _pending.Values)
        {
            reads += p.Op == EtcdOp.Get ? 1 : 0;
        }
        return reads;
    }

    int Send(EtcdOp op, long now, long revision = 0)
    {
        int id = ++_nextId;
        _pending[id] = new Pending(op, now);
        _host.Send(new EtcdRequest(id, op, Key: _follow.Key, Revision: revision));
        return id;
    }

    protected override void EligibilityChanged(long now) => Decide(now);

    public override void Demote(long now)
    {
        if (HoldIfMaster(now))
        {
            Decide(now);
        }
    }

    protected override void LinkChanged(long now) => Decide(now);

    /// <summary>The daemon is leaving: the downscript when asked and not BACKUP; nothing to release in etcd.</summary>
    protected override void Stop(long now, bool runDownscript, bool interfaceGone)
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        if (State != CarpState.Backup && runDownscript)
        {
            Effects.RunDown();
        }
        _readAt = _retryAt = HoldUntil = null;
        StopRefresh(now);
        _pending.Clear();
        _watch = null;
    }
}
