namespace Ucarp.Core.Etcd;

/// <summary>A request sent and not yet answered: its kind, when it went, the lease it went with, and whose it is (null: the session's own).</summary>
internal readonly record struct PendingRequest(EtcdOp Op, long SentAt, long Lease, ISessionMember? Owner);

/// <summary>
/// The numbering of one session's requests, and what is remembered of each until it is
/// answered or given up on. One numbering for the lease, the mirror, the batches and every
/// group's own requests, because they share one client and one reply queue: the id alone
/// says whose a reply is. A reply whose id is no longer here answers something given up
/// on, and is dropped.
/// </summary>
internal sealed class RequestTracker(IEtcdSessionHost host)
{
    readonly Dictionary<int, PendingRequest> _pending = [];
    int _nextId;

    /// <summary>Numbers a request and remembers it; the caller sends it (now, after the scripts, or in a batch).</summary>
    public EtcdRequest Track(in EtcdRequest request, long now, ISessionMember? owner = null)
    {
        int id = ++_nextId;
        _pending[id] = new PendingRequest(request.Op, now, request.Lease, owner);
        return request with { Id = id };
    }

    /// <summary>A request of the session's own, numbered and sent now; its id.</summary>
    public int Send(in EtcdRequest request, long now)
    {
        EtcdRequest tracked = Track(request, now);
        host.Send(tracked);
        return tracked.Id;
    }

    public bool TryGet(int id, out PendingRequest pending) => _pending.TryGetValue(id, out pending);

    public bool Contains(int id) => _pending.ContainsKey(id);

    /// <summary>Given up on: its answer, if one comes, is dropped.</summary>
    public void Forget(int id) => _pending.Remove(id);

    /// <summary>Takes a request out of those awaited; false if it was not (given up on).</summary>
    public bool Take(int id, out PendingRequest pending) => _pending.Remove(id, out pending);

    /// <summary>How many requests of this kind on this lease are unanswered.</summary>
    public int Outstanding(EtcdOp op, long lease)
    {
        int count = 0;
        foreach (PendingRequest p in _pending.Values)
        {
            count += p.Op == op && p.Lease == lease ? 1 : 0;
        }
        return count;
    }

    /// <summary>Gives up on the session's own requests of this kind (not a group's); true if there was one.</summary>
    public bool ForgetOwn(EtcdOp op)
    {
        bool any = false;
        foreach ((int id, PendingRequest p) in _pending)
        {
            if (p.Owner is null && p.Op == op)
            {
                _pending.Remove(id);
                any = true;
            }
        }
        return any;
    }
}
