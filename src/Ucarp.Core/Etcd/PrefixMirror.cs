using Ucarp.Core.Carp;

namespace Ucarp.Core.Etcd;

/// <summary>
/// What a session knows of the keys under its prefix: one read of the whole prefix (the
/// sweep) every 2 TTL, which catches what a watch that went quiet missed, and one watch
/// over the prefix, started after the sweep's revision. Each key's last state is kept
/// with its revision, so that a sweep older than what the watch said, or a watch
/// restarted from an older revision, never tells a group something out of date; what a
/// group's own transactions wrote or read comes in the same order (<see cref="Learn"/>), so
/// that a campaign's answer never undoes a later change, nor a late watch event a win. A
/// watch that lived through a time etcd was out of reach is replaced by the sweep that
/// follows (<see cref="Reconnected"/>).
/// </summary>
internal sealed class PrefixMirror
{
    /// <summary>A key as last seen: <see cref="Exists"/> false is a deletion, kept for its revision until a sweep passes it.</summary>
    readonly record struct Seen(bool Exists, EtcdKeyValue Kv);

    readonly RequestTracker _requests;
    readonly MemberRouter _members;
    readonly string _prefix;
    readonly Func<long> _ttl;
    readonly Dictionary<string, Seen> _seen = new(StringComparer.Ordinal);
    readonly RetriedRequest _sweep;

    int? _watch;
    long _floor;                // the last sweep's revision: a key it did not find was absent then
    bool _watchStalled;         // etcd was out of reach while the watch ran: the next sweep replaces it
    bool _known;                // a sweep was answered since the watch last broke
    long? _sweepAt;
    bool _stopping;

    /// <param name="prefix">The keys' common prefix, ending in "/".</param>
    /// <param name="ttl">The lease's TTL as granted (µs), which sets how often the prefix is swept.</param>
    public PrefixMirror(RequestTracker requests, MemberRouter members, string prefix, Func<long> ttl)
    {
        _requests = requests;
        _members = members;
        _prefix = prefix;
        _ttl = ttl;
        _sweep = new RetriedRequest(requests, EtcdOp.Sweep);
    }

    /// <summary>How often the whole prefix is read (µs).</summary>
    public long SweepInterval => Math.Max(2 * Timing.Second, 2 * _ttl());

    public long? NextDeadline => Deadlines.Min(_sweepAt, _sweep.RetryAt);

    /// <summary>What the sweep and the watch last said of a key (null: absent, or not known).</summary>
    public EtcdKeyValue? Lookup(string key) => _seen.TryGetValue(key, out Seen s) && s.Exists ? s.Kv : null;

    /// <summary>
    /// What a group's own transaction wrote or read of <paramref name="key"/> (null: absent)
    /// at the store's <paramref name="revision"/>: kept, and true, unless something later is
    /// known already (then the group was told that, and must not act on this).
    /// </summary>
    public bool Learn(string key, EtcdKeyValue? kv, long revision)
    {
        if (_seen.TryGetValue(key, out Seen known) ? known.Kv.ModRevision > revision : revision < _floor)
        {
            return false;
        }
        _seen[key] = kv is EtcdKeyValue k ? new Seen(true, k with { ModRevision = revision }) : new Seen(false, new EtcdKeyValue(key, "", 0, revision));
        return true;
    }

    /// <summary>A group joined: the first sweeps now; one joining a running session (a reload) is told what is known of its keys.</summary>
    public void Joined(ISessionMember member, long now)
    {
        if (!_sweep.Out && _watch is null && _sweep.RetryAt is null)
        {
            Sweep(now);
        }
        else if (_known)
        {
            member.KeyChanged(Lookup(member.Key), now);
            member.PreemptChanged(Lookup(member.PreemptKey), now);
        }
    }

    /// <summary>A group left: its keys are forgotten (a group that joins with them later learns them afresh).</summary>
    public void Left(ISessionMember member)
    {
        _seen.Remove(member.Key);
        _seen.Remove(member.PreemptKey);
    }

    /// <summary>A lease was granted: once the keys are known, the periodic sweep runs.</summary>
    public void LeaseGranted(long now)
    {
        if (_known)
        {
            _sweepAt ??= now + SweepInterval;
        }
    }

    public void OnTimer(long now)
    {
        if (_sweep.RetryAt <= now || _sweepAt <= now)
        {
            _sweep.RetryAt = _sweepAt = null;
            Sweep(now);
        }
    }

    /// <summary>The answer to a sweep, or a watch event or end (reachability already counted).</summary>
    public void OnReply(in EtcdReply reply, long now)
    {
        switch (reply.Op)
        {
            case EtcdOp.Sweep when reply.Ok:
                Swept(reply, now);
                break;
            case EtcdOp.Sweep:
                _sweep.Answered();
                _sweep.Later(now);
                break;
            case EtcdOp.Watch when reply.WatchEnded || !reply.Ok:
                WatchBroke(now);
                break;
            case EtcdOp.Watch when reply.Key is string key:
                Changed(key, reply.Exists, new EtcdKeyValue(key, reply.Value ?? "", reply.Exists ? reply.ValueLease : 0, reply.Revision, reply.CreateRevision), now);
                break;
        }
    }

    /// <summary>
    /// The whole prefix as etcd has it: every group is told what its key says, the watch
    /// starts (or restarts, when it missed a change) after the sweep's revision.
    /// </summary>
    void Swept(in EtcdReply reply, long now)
    {
        _sweep.Answered();
        _sweep.Succeeded();
        long revision = reply.Revision;
        _floor = revision;
        bool first = !_known;   // the first sweep since the watch (re)started: every group learns its key
        _known = true;
        var told = new HashSet<string>(StringComparer.Ordinal);
        bool missed = false;
        foreach (EtcdKeyValue kv in reply.Kvs ?? [])
        {
            if (!_members.Interesting(kv.Key))
            {
                continue;
            }
            told.Add(kv.Key);
            bool known = _seen.TryGetValue(kv.Key, out Seen s);
            if (known && s.Kv.ModRevision > revision)
            {
                // The watch has told of a later change already.
                if (first)
                {
                    _members.Tell(kv.Key, s.Exists ? s.Kv : null, now);
                }
                continue;
            }
            // A key deleted and created again (its create revision moved) differs even with the
            // same lease and value: a watch that missed both left its group with the old one.
            bool differs = !known || !s.Exists || s.Kv.Lease != kv.Lease || s.Kv.Value != kv.Value || s.Kv.CreateRevision != kv.CreateRevision;
            missed |= differs && !first;
            if (differs || s.Kv.ModRevision != kv.ModRevision)
            {
                // Only what changed is stored: a key swept as it was keeps the strings it
                // has, long promoted, instead of leaving them garbage in the old generation
                // every sweep (a thousand keys' records, about 0.3 MB each 2 TTL).
                _seen[kv.Key] = new Seen(true, kv);
            }
            if (first || differs)
            {
                _members.Tell(kv.Key, kv, now);
            }
        }
        missed |= Vanished(told, revision, first, now);
        if (first)
        {
            foreach (ISessionMember m in _members.Snapshot())
            {
                if (!told.Contains(m.Key))
                {
                    m.KeyChanged(null, now);
                }
                if (!told.Contains(m.PreemptKey))
                {
                    m.PreemptChanged(null, now);
                }
            }
        }
        if ((missed || _watchStalled) && _watch is int quiet)
        {
            // The watch missed a change: its stream went quiet (a member cut off without
            // closing the connection), or may hold back what comes next. Leave it and
            // watch afresh.
            _requests.Forget(quiet);
            _watch = null;
        }
        _watchStalled = false;
        _watch ??= _requests.Send(new EtcdRequest(0, EtcdOp.Watch, Key: _prefix, Revision: revision + 1, Prefix: true), now);
        _sweepAt = now + SweepInterval;
    }

    /// <summary>
    /// The keys seen before that the sweep did not find: gone, unless the watch told of them
    /// after the sweep's revision. Adds them to <paramref name="told"/>; true when the watch
    /// missed a deletion.
    /// </summary>
    bool Vanished(HashSet<string> told, long revision, bool first, long now)
    {
        bool missed = false;
        var keys = new string[_seen.Count];
        _seen.Keys.CopyTo(keys, 0);
        foreach (string key in keys)
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
                    _members.Tell(key, s.Exists ? s.Kv : null, now);
                }
                continue;
            }
            if (s.Exists)
            {
                // Gone, and the watch did not say so.
                missed |= !first;
                _members.Tell(key, null, now);
            }
            _seen.Remove(key); // a deletion older than the sweep: nothing more to order against
        }
        return missed;
    }

    /// <summary>A watch event: the key's new state, handed to the group it belongs to unless already known.</summary>
    void Changed(string key, bool exists, EtcdKeyValue kv, long now)
    {
        if (!_members.Interesting(key))
        {
            return;
        }
        // Already known (a watch restarted from an older revision, or our own transaction's
        // write), or older than the last sweep, which did not find the key.
        if (_seen.TryGetValue(key, out Seen known) ? known.Kv.ModRevision >= kv.ModRevision : kv.ModRevision <= _floor)
        {
            return;
        }
        _seen[key] = new Seen(exists, kv);
        if (_known)
        {
            _members.Tell(key, exists ? kv : null, now);
        }
    }

    /// <summary>The watch ended or failed: nothing is known of the keys until a sweep, soon, restarts it.</summary>
    void WatchBroke(long now)
    {
        _watch = null;
        if (_known)
        {
            _known = false;
            foreach (ISessionMember m in _members.Snapshot())
            {
                m.KeysUnknown(now);
            }
        }
        _sweep.Later(now);
    }

    /// <summary>
    /// etcd is back: whatever the watch missed while we were cut off, a sweep now finds (one
    /// sent while cut off is not waited for), and the watch is started afresh after it. The
    /// old one's connection may look open and still hold events back: what its member sent
    /// while we could not acknowledge (an event, the watch's own start) is resent on TCP's
    /// backoff, 0.2 s doubling, and every later event waits behind it, so a deletion came
    /// 2-6 s late after an 8 s partition, until a retransmission or the next sweep.
    /// </summary>
    public void Reconnected(long now)
    {
        _watchStalled = _watch is not null;
        _sweep.Reconnected(now);
        if (!_sweep.Out)
        {
            _sweep.RetryAt = now;
        }
    }

    void Sweep(long now)
    {
        if (_sweep.Out || _stopping || _members.Count == 0)
        {
            return;
        }
        _sweep.Send(new EtcdRequest(0, EtcdOp.Sweep, Key: _prefix, Prefix: true), now);
    }

    /// <summary>The daemon is leaving: no more sweeps.</summary>
    public void Stop()
    {
        _stopping = true;
        _sweepAt = _sweep.RetryAt = null;
    }
}
