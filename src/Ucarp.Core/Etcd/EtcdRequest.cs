namespace Ucarp.Core.Etcd;

/// <summary>The etcd v3 operations the election uses.</summary>
public enum EtcdOp : byte
{
    /// <summary>LeaseGrant(TTL): a lease of our own, for the key and the preempt request.</summary>
    Grant,
    /// <summary>LeaseKeepAlive(lease): one renewal; the reply's TTL 0 means the lease is gone.</summary>
    KeepAlive,
    /// <summary>LeaseRevoke(lease): deletes every key attached to it at once.</summary>
    Revoke,
    /// <summary>Range(key): the holder record and the store's revision.</summary>
    Get,
    /// <summary>Txn: if the key does not exist (create_revision 0), put it with our lease; else read it.</summary>
    Campaign,
    /// <summary>Watch(key, from revision): one reply per event, then one with WatchEnded.</summary>
    Watch,
    /// <summary>Put(key/preempt, our record, our lease): asks the holder to hand over (-P).</summary>
    PutPreempt,
    /// <summary>Range(key/preempt): the holder's look for a preempt request.</summary>
    GetPreempt,
    /// <summary>DeleteRange(key/preempt): our request was answered.</summary>
    DeletePreempt,
    /// <summary>Txn: if the key is on our lease, put our record again (its advskew changed); else nothing.</summary>
    Refresh,
}

/// <summary>
/// One request the election asks the host to send; the reply comes back with the same id.
/// <see cref="Attempt"/> n &gt; 0: n of the same kind are still unanswered, so this one starts
/// n members further along (the one they wait on may be the one without a leader).
/// </summary>
public readonly record struct EtcdRequest(int Id, EtcdOp Op, long Lease = 0, string Key = "", string Value = "", long Revision = 0, long Ttl = 0,
                                          int Attempt = 0);

/// <summary>
/// The answer to a request. <see cref="Ok"/> false: it failed (<see cref="Error"/> says
/// why) and may be retried. Watch replies come one per event (<see cref="Exists"/> false:
/// the key was deleted), then one with <see cref="WatchEnded"/>.
/// </summary>
public readonly record struct EtcdReply(
    int Id, EtcdOp Op, bool Ok, string? Error = null,
    long Lease = 0, long Ttl = 0, bool Succeeded = false, bool Exists = false, string? Value = null, long ValueLease = 0,
    long Revision = 0, bool WatchEnded = false);
