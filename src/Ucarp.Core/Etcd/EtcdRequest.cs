namespace Ucarp.Core.Etcd;

/// <summary>The etcd v3 operations the election uses.</summary>
public enum EtcdOp : byte
{
    /// <summary>LeaseGrant(TTL): the daemon's lease, for every key it holds and every preempt request.</summary>
    Grant,
    /// <summary>LeaseKeepAlive(lease): one renewal; the reply's TTL 0 means the lease is gone.</summary>
    KeepAlive,
    /// <summary>LeaseRevoke(lease): deletes every key attached to it at once.</summary>
    Revoke,
    /// <summary>Range(key): one key and the store's revision (follow mode).</summary>
    Get,
    /// <summary>Txn: if the key does not exist (create_revision 0), put it with our lease; else read it.</summary>
    Campaign,
    /// <summary>Watch(key, or every key under it with <see cref="EtcdRequest.Prefix"/>, from revision): one reply per event, then one with WatchEnded.</summary>
    Watch,
    /// <summary>Put(key/preempt, our record, our lease): asks the holder to hand over (-P).</summary>
    PutPreempt,
    /// <summary>DeleteRange(key/preempt): our request was answered.</summary>
    DeletePreempt,
    /// <summary>Txn: if the key is on our lease, put our record again (its advskew changed); else nothing.</summary>
    Refresh,
    /// <summary>Range(every key under the prefix): the holders of every address, and the store's revision, in one request.</summary>
    Sweep,
    /// <summary>
    /// Txn: if the key is on our lease (and, <see cref="EtcdRequest.Revision"/> not 0, still the
    /// key created at that revision), delete it (one address given up; the lease carries others).
    /// </summary>
    Release,
    /// <summary>Txn: if the key is still on <see cref="EtcdRequest.OldLease"/> with <see cref="EtcdRequest.OldValue"/> (our previous run's), move it to our lease.</summary>
    TakeBack,
}

/// <summary>
/// One request the election asks the host to send; the reply comes back with the same id.
/// <see cref="Attempt"/> n &gt; 0: n of the same kind are still unanswered, so this one starts
/// n members further along (the one they wait on may be the one without a leader).
/// <see cref="Prefix"/>: a watch or a sweep covers every key that starts with <see cref="Key"/>.
/// <see cref="OldLease"/> and <see cref="OldValue"/>: what a take-back expects to find.
/// <see cref="Batch"/>: campaigns (or take-backs) of several keys in one transaction,
/// which succeeds for all of them or for none (then it reads every key).
/// </summary>
public readonly record struct EtcdRequest(int Id, EtcdOp Op, long Lease = 0, string Key = "", string Value = "", long Revision = 0, long Ttl = 0,
                                          int Attempt = 0, bool Prefix = false, long OldLease = 0, string OldValue = "",
                                          IReadOnlyList<EtcdRequest>? Batch = null);

/// <summary>
/// One key as a sweep read it: its value, the lease it is on (0: none), the revision of its
/// last change and the revision it was created at (0: not known). A key deleted and created
/// again has a new <see cref="CreateRevision"/>, on the same lease or not.
/// </summary>
public readonly record struct EtcdKeyValue(string Key, string Value, long Lease, long ModRevision, long CreateRevision = 0);

/// <summary>
/// The answer to a request. <see cref="Ok"/> false: it failed (<see cref="Error"/> says
/// why) and may be retried; <see cref="Refused"/> too: a member answered, and said no (a
/// permission refused, say), so etcd is within reach. Watch replies come one per event (<see cref="Key"/> names the
/// key; <see cref="Exists"/> false: it was deleted), then one with <see cref="WatchEnded"/>.
/// A sweep's keys are in <see cref="Kvs"/>.
/// </summary>
public readonly record struct EtcdReply(
    int Id, EtcdOp Op, bool Ok, string? Error = null,
    long Lease = 0, long Ttl = 0, bool Succeeded = false, bool Exists = false, string? Value = null, long ValueLease = 0,
    long Revision = 0, bool WatchEnded = false, string? Key = null, IReadOnlyList<EtcdKeyValue>? Kvs = null, bool Refused = false,
    long CreateRevision = 0);
