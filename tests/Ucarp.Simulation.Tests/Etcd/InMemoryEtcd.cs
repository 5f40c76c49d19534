using Ucarp.Core.Etcd;

namespace Ucarp.Simulation.Tests.Etcd;

/// <summary>
/// etcd's semantics that the election relies on, in memory and on the virtual clock:
/// leases expire TTL after the last grant or renewal the server received, and take
/// their keys with them; a transaction's compare and put are atomic; a key's
/// revisions only grow; watchers hear every change after the revision they asked from.
/// </summary>
sealed class InMemoryEtcd
{
    readonly Dictionary<long, (long Ttl, long ExpiresAt)> _leases = [];
    readonly Dictionary<string, (string Value, long Lease, long ModRevision, long CreateRevision)> _keys = [];
    readonly List<(string Key, bool Prefix, Action<EtcdReply> Deliver, int Id)> _watchers = [];
    long _nextLease = 0x1000;
    long _revision = 1;

    /// <summary>The TTL the server grants at least (etcd's minimum TTL, about 2 s with default timings).</summary>
    public long MinimumTtl { get; set; } = 1;

    public IReadOnlyDictionary<string, (string Value, long Lease, long ModRevision, long CreateRevision)> Keys => _keys;

    /// <summary>How many leases are alive (what `etcdctl lease list` counts).</summary>
    public int LeaseCount => _leases.Count;

    /// <summary>Transactions that campaigned (or took back) several keys at once.</summary>
    public int Batches { get; private set; }

    /// <summary>Keys returned by sweeps so far.</summary>
    public long SweptKeys { get; private set; }

    /// <summary>Replaces the answer to a grant (a server that misbehaves); null: etcd's own.</summary>
    public Func<EtcdReply, EtcdReply>? GrantAnswer { get; set; }

    /// <summary>Answers some requests itself (a refusal, say); null from it: etcd's own answer.</summary>
    public Func<EtcdRequest, EtcdReply?>? Refuse { get; set; }

    /// <summary>`etcdctl put KEY VALUE`: no lease.</summary>
    public void PutByHand(string key, string value) => Put(key, value, 0);

    /// <summary>`etcdctl del KEY`.</summary>
    public void DeleteByHand(string key) => Delete(key);

    public bool LeaseAlive(long lease) => _leases.ContainsKey(lease);

    /// <summary>Expires the leases due at <paramref name="now"/>, deleting their keys.</summary>
    public void Expire(long now)
    {
        foreach (long lease in _leases.Where(l => l.Value.ExpiresAt <= now).Select(l => l.Key).ToList())
        {
            Revoke(lease);
        }
    }

    /// <summary>When the next lease expires, or null.</summary>
    public long? NextExpiry => _leases.Count == 0 ? null : _leases.Values.Min(l => l.ExpiresAt);

    /// <summary>Serves one request arriving at <paramref name="now"/>; watch events go to <paramref name="deliver"/> later.</summary>
    public EtcdReply? Serve(in EtcdRequest r, long now, Action<EtcdReply> deliver)
    {
        Expire(now);
        if (Refuse?.Invoke(r) is EtcdReply refused)
        {
            return refused;
        }
        if (r.Batch is { } batch)
        {
            Batches++;
            // One transaction: every compare holds, and every put is made; or none, and every key is read.
            bool all = batch.All(one => one.Op == EtcdOp.TakeBack
                ? _keys.TryGetValue(one.Key, out var old) && old.Lease == one.OldLease && old.Value == one.OldValue
                : !_keys.ContainsKey(one.Key));
            if (all && !_leases.ContainsKey(r.Lease))
            {
                return new EtcdReply(r.Id, r.Op, false, "etcdserver: requested lease not found");
            }
            if (all)
            {
                // One transaction, one revision: every key it creates is created at it.
                long revision = ++_revision;
                foreach (EtcdRequest one in batch)
                {
                    Put(one.Key, one.Value, one.Lease, revision);
                }
                return new EtcdReply(r.Id, r.Op, true, Succeeded: true, Revision: _revision);
            }
            var kvs = batch.Where(one => _keys.ContainsKey(one.Key))
                           .Select(one => new EtcdKeyValue(one.Key, _keys[one.Key].Value, _keys[one.Key].Lease, 0, _keys[one.Key].CreateRevision)).ToList();
            return new EtcdReply(r.Id, r.Op, true, Revision: _revision, Kvs: kvs);
        }
        switch (r.Op)
        {
            case EtcdOp.Grant:
            {
                long ttl = Math.Max(r.Ttl, MinimumTtl);
                long id = _nextLease++;
                _leases[id] = (ttl, now + ttl * 1_000_000);
                var granted = new EtcdReply(r.Id, r.Op, true, Lease: id, Ttl: ttl);
                return GrantAnswer?.Invoke(granted) ?? granted;
            }
            case EtcdOp.KeepAlive:
                if (!_leases.TryGetValue(r.Lease, out var l))
                {
                    return new EtcdReply(r.Id, r.Op, true, Lease: r.Lease, Ttl: 0);
                }
                _leases[r.Lease] = (l.Ttl, now + l.Ttl * 1_000_000);
                return new EtcdReply(r.Id, r.Op, true, Lease: r.Lease, Ttl: l.Ttl);
            case EtcdOp.Revoke:
                Revoke(r.Lease);
                return new EtcdReply(r.Id, r.Op, true, Lease: r.Lease);
            case EtcdOp.Get:
                return Range(r);
            case EtcdOp.Sweep:
            {
                string prefix = r.Key;
                var kvs = _keys.Where(k => k.Key.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(k => k.Key, StringComparer.Ordinal)
                               .Select(k => new EtcdKeyValue(k.Key, k.Value.Value, k.Value.Lease, k.Value.ModRevision, k.Value.CreateRevision)).ToList();
                SweptKeys += kvs.Count;
                return new EtcdReply(r.Id, r.Op, true, Revision: _revision, Kvs: kvs);
            }
            case EtcdOp.Release:
                if (!_keys.TryGetValue(r.Key, out var mine) || mine.Lease != r.Lease || r.Revision != 0 && mine.CreateRevision != r.Revision)
                {
                    return new EtcdReply(r.Id, r.Op, true, Succeeded: false, Revision: _revision);
                }
                Delete(r.Key);
                return new EtcdReply(r.Id, r.Op, true, Succeeded: true, Revision: _revision);
            case EtcdOp.TakeBack:
                if (!_keys.TryGetValue(r.Key, out var old) || old.Lease != r.OldLease || old.Value != r.OldValue)
                {
                    return new EtcdReply(r.Id, r.Op, true, Succeeded: false, Revision: _revision);
                }
                if (!_leases.ContainsKey(r.Lease))
                {
                    return new EtcdReply(r.Id, r.Op, false, "etcdserver: requested lease not found");
                }
                Put(r.Key, r.Value, r.Lease);
                return new EtcdReply(r.Id, r.Op, true, Succeeded: true, Revision: _revision);
            case EtcdOp.Campaign:
                if (_keys.ContainsKey(r.Key))
                {
                    return Range(r);
                }
                if (!_leases.ContainsKey(r.Lease))
                {
                    return new EtcdReply(r.Id, r.Op, false, "etcdserver: requested lease not found");
                }
                Put(r.Key, r.Value, r.Lease);
                return new EtcdReply(r.Id, r.Op, true, Succeeded: true, Revision: _revision, CreateRevision: _revision);
            case EtcdOp.PutPreempt:
                if (!_leases.ContainsKey(r.Lease))
                {
                    return new EtcdReply(r.Id, r.Op, false, "etcdserver: requested lease not found");
                }
                Put(r.Key, r.Value, r.Lease);
                return new EtcdReply(r.Id, r.Op, true);
            case EtcdOp.Refresh:
                if (!_keys.TryGetValue(r.Key, out var held) || held.Lease != r.Lease)
                {
                    return new EtcdReply(r.Id, r.Op, true, Succeeded: false);
                }
                Put(r.Key, r.Value, r.Lease);
                return new EtcdReply(r.Id, r.Op, true, Succeeded: true, Revision: _revision);
            case EtcdOp.DeletePreempt:
                Delete(r.Key);
                return new EtcdReply(r.Id, r.Op, true);
            case EtcdOp.Watch:
                _watchers.Add((r.Key, r.Prefix, deliver, r.Id));
                // From the revision asked for: what happened since (after a sweep) comes first.
                foreach ((string key, EtcdReply ev) in _history)
                {
                    if (ev.Revision >= r.Revision && (r.Prefix ? key.StartsWith(r.Key, StringComparison.Ordinal) : key == r.Key))
                    {
                        deliver(ev with { Id = r.Id });
                    }
                }
                return null;
        }
        throw new InvalidOperationException(r.Op.ToString());
    }

    /// <summary>Ends the watches of one node (its connection broke), each with a last reply (to <paramref name="end"/>, or as events go).</summary>
    public void DropWatches(Action<EtcdReply> deliver, Action<EtcdReply>? end = null)
    {
        foreach (var w in _watchers.Where(w => w.Deliver == deliver).ToList())
        {
            _watchers.Remove(w);
            (end ?? deliver)(new EtcdReply(w.Id, EtcdOp.Watch, true, Error: "connection lost", WatchEnded: true));
        }
    }

    EtcdReply Range(in EtcdRequest r) => _keys.TryGetValue(r.Key, out var kv)
        ? new EtcdReply(r.Id, r.Op, true, Exists: true, Value: kv.Value, ValueLease: kv.Lease, Revision: _revision, CreateRevision: kv.CreateRevision)
        : new EtcdReply(r.Id, r.Op, true, Revision: _revision);

    /// <summary>A put at <paramref name="revision"/> (0: the next); a key that exists keeps its create revision.</summary>
    void Put(string key, string value, long lease, long revision = 0)
    {
        revision = revision == 0 ? ++_revision : revision;
        long created = _keys.TryGetValue(key, out var old) ? old.CreateRevision : revision;
        _keys[key] = (value, lease, revision, created);
        Notify(key, new EtcdReply(0, EtcdOp.Watch, true, Key: key, Exists: true, Value: value, ValueLease: lease, Revision: revision, CreateRevision: created));
    }

    void Delete(string key)
    {
        if (_keys.Remove(key))
        {
            Notify(key, new EtcdReply(0, EtcdOp.Watch, true, Key: key, Exists: false, Revision: ++_revision));
        }
    }

    void Revoke(long lease)
    {
        if (!_leases.Remove(lease))
        {
            return;
        }
        foreach (string key in _keys.Where(k => k.Value.Lease == lease).Select(k => k.Key).ToList())
        {
            Delete(key);
        }
    }

    readonly List<(string Key, EtcdReply Event)> _history = [];

    void Notify(string key, EtcdReply ev)
    {
        _history.Add((key, ev));
        foreach (var w in _watchers.Where(w => w.Prefix ? key.StartsWith(w.Key, StringComparison.Ordinal) : w.Key == key))
        {
            w.Deliver(ev with { Id = w.Id });
        }
    }
}
