namespace Ucarp.Core.Etcd;

/// <summary>
/// Campaigns and take-backs asked for within a flush window (2 ms) of the first go together,
/// in transactions of up to <see cref="BatchSize"/> keys of one kind: a thousand addresses
/// freed at once (one lease expired) cost a few transactions, not a thousand. A transaction
/// succeeds for all its keys or for none (then it reads every key), and its answer is
/// handed to each group as the answer to its own campaign.
/// </summary>
internal sealed class CampaignBatcher(IEtcdSessionHost host, RequestTracker requests, MemberRouter members)
{
    /// <summary>How many keys one transaction campaigns for (etcd takes 128 operations per transaction by default).</summary>
    public const int BatchSize = 64;

    /// <summary>How long the first campaign of a pass waits for others (µs): the groups freed by one event all ask within it.</summary>
    public const long FlushWindow = 2_000;

    readonly List<EtcdRequest> _campaigns = [];
    readonly Dictionary<int, IReadOnlyList<EtcdRequest>> _batches = [];

    /// <summary>When the campaigns waiting now go, or null.</summary>
    public long? FlushAt { get; private set; }

    /// <summary>A group's campaign (or take-back): numbered now, sent with the others of this pass; its id.</summary>
    public int Add(ISessionMember owner, in EtcdRequest request, long now)
    {
        EtcdRequest tracked = requests.Track(request, now, owner);
        _campaigns.Add(tracked);
        FlushAt ??= now + FlushWindow;
        return tracked.Id;
    }

    public void OnTimer(long now)
    {
        if (FlushAt <= now)
        {
            FlushAt = null;
            Flush(now);
        }
    }

    /// <summary>The daemon is leaving: what waits is never sent.</summary>
    public void Clear()
    {
        _campaigns.Clear();
        FlushAt = null;
    }

    /// <summary>The campaigns asked for, in transactions of up to <see cref="BatchSize"/> keys of one kind; one alone goes as it is.</summary>
    void Flush(long now)
    {
        foreach (EtcdOp op in (ReadOnlySpan<EtcdOp>)[EtcdOp.Campaign, EtcdOp.TakeBack])
        {
            var chunk = new List<EtcdRequest>(BatchSize);
            foreach (EtcdRequest r in _campaigns)
            {
                if (r.Op != op || !requests.Contains(r.Id))
                {
                    continue; // given up on meanwhile
                }
                chunk.Add(r);
                if (chunk.Count == BatchSize)
                {
                    Send(chunk, now);
                    chunk = new List<EtcdRequest>(BatchSize);
                }
            }
            if (chunk.Count != 0)
            {
                Send(chunk, now);
            }
        }
        _campaigns.Clear();
    }

    void Send(List<EtcdRequest> chunk, long now)
    {
        if (chunk.Count == 1)
        {
            host.Send(chunk[0]);
            return;
        }
        // The batch is the session's own request: its answer comes here, not to a group.
        EtcdRequest batch = requests.Track(new EtcdRequest(0, chunk[0].Op, chunk[0].Lease, Batch: chunk), now);
        _batches[batch.Id] = chunk;
        host.Send(batch);
    }

    /// <summary>
    /// True when <paramref name="reply"/> answers a batch (its request already taken out of
    /// those awaited): each group still waiting for its campaign is handed its own answer.
    /// </summary>
    public bool Answered(in EtcdReply reply, long now)
    {
        if (!_batches.Remove(reply.Id, out IReadOnlyList<EtcdRequest>? batch))
        {
            return false;
        }
        if (!reply.Ok)
        {
            // Refused, or lost: one key etcd will not write (no permission, say) must not
            // keep the others from theirs. Each goes again on its own, now.
            foreach (EtcdRequest one in batch)
            {
                if (requests.Contains(one.Id))
                {
                    host.Send(one);
                }
            }
            return true;
        }
        Dictionary<string, EtcdKeyValue>? held = reply.Succeeded ? null : ByKey(reply.Kvs);
        foreach (EtcdRequest one in batch)
        {
            if (requests.Take(one.Id, out PendingRequest p) && p.Owner is ISessionMember owner)
            {
                members.Deliver(owner, Mine(one, reply, held), p.Lease, now);
            }
        }
        return true;
    }

    /// <summary>What a lost batch read, by key (the last read of a key counts).</summary>
    static Dictionary<string, EtcdKeyValue> ByKey(IReadOnlyList<EtcdKeyValue>? kvs)
    {
        var held = new Dictionary<string, EtcdKeyValue>(StringComparer.Ordinal);
        foreach (EtcdKeyValue kv in kvs ?? [])
        {
            held[kv.Key] = kv;
        }
        return held;
    }

    /// <summary>
    /// One group's part of a batch's answer, as the answer to its campaign alone would be:
    /// won; or, lost, what its key holds (absent: another key of the batch was taken).
    /// </summary>
    static EtcdReply Mine(in EtcdRequest one, in EtcdReply reply, Dictionary<string, EtcdKeyValue>? held) =>
        held is null ? new EtcdReply(one.Id, one.Op, true, Succeeded: true, Revision: reply.Revision, CreateRevision: one.Op == EtcdOp.Campaign ? reply.Revision : 0)
        : held.TryGetValue(one.Key, out EtcdKeyValue kv)
            ? new EtcdReply(one.Id, one.Op, true, Exists: true, Value: kv.Value, ValueLease: kv.Lease, Revision: reply.Revision, CreateRevision: kv.CreateRevision)
            : new EtcdReply(one.Id, one.Op, true, Revision: reply.Revision);
}
