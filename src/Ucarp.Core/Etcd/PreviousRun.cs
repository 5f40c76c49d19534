namespace Ucarp.Core.Etcd;

/// <summary>
/// A restart faster than the TTL finds the key still on the previous run's lease with the
/// previous run's record (same host name, address, interface and vhid): the first look
/// after start moves it to the new lease in one transaction that only succeeds if it is
/// unchanged, so the address stays here and nobody else ever sees it free.
/// </summary>
/// <param name="self">Who we are: a record like ours (its advskew is not compared).</param>
internal sealed class PreviousRun(HolderRecord self)
{
    bool _fresh = true;         // nothing seen of the key since start: a take-back is still possible

    /// <summary>Our previous run's key, to move to our lease (null: none, or taken back already).</summary>
    public EtcdKeyValue? Key { get; private set; }

    /// <summary>
    /// The key as the session tells it (null: absent), <paramref name="lease"/> being ours
    /// now: only the first look after start can find our previous run's. Its <see cref="Key"/>.
    /// </summary>
    public EtcdKeyValue? Look(EtcdKeyValue? kv, long? lease)
    {
        bool fresh = _fresh;
        _fresh = false;
        Key = fresh && kv is EtcdKeyValue k && Ours(k, lease) ? k : null;
        return Key;
    }

    /// <summary>
    /// A take-back that did not succeed: the key changed since (the watch says how), or, in a
    /// batch, another key did: this one, read by the batch, may still be ours to take back.
    /// </summary>
    public void Reread(in EtcdReply reply, string key, long? lease)
    {
        var seen = new EtcdKeyValue(key, reply.Value ?? "", reply.ValueLease, reply.Revision, reply.CreateRevision);
        Key = reply.Exists && Ours(seen, lease) ? seen : null;
    }

    /// <summary>The take-back of <see cref="Key"/> to <paramref name="lease"/> with <paramref name="record"/>; nothing is left to take back.</summary>
    public EtcdRequest Take(long lease, string key, string record)
    {
        EtcdKeyValue old = Key!.Value;
        Key = null;
        return new EtcdRequest(0, EtcdOp.TakeBack, lease, key, record, OldLease: old.Lease, OldValue: old.Value);
    }

    /// <summary>No take-back after all: the address is ours anyway, or we may not hold it now.</summary>
    public void Drop() => Key = null;

    /// <summary>The key names this host, address, interface and vhid, on a lease that is not <paramref name="lease"/>.</summary>
    bool Ours(EtcdKeyValue kv, long? lease) =>
        kv.Lease != 0 && kv.Lease != lease
        && HolderRecord.Parse(kv.Value) is HolderRecord r
        && r.Host == self.Host && r.Holder == self.Holder && r.Interface == self.Interface && r.Vhid == self.Vhid;
}
