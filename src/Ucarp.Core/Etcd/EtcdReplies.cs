using System.Text;

namespace Ucarp.Core.Etcd;

/// <summary>
/// What an etcd gateway answer says, as the <see cref="EtcdReply"/> the election reads.
/// Only an answer that says yes or no counts: each must carry etcd's response header,
/// and the fields that give the answer (a lease's ID and TTL, a transaction's result or
/// the failure branch's read). Anything else throws <see cref="FormatException"/>, a
/// failed request: `200 {}` is not a win. The gateway leaves out fields that hold their
/// zero value (proto3 JSON): a failed transaction has no "succeeded", a read of a missing
/// key no "kvs", a renewal of an expired lease no "TTL"; those absences are answers.
/// </summary>
public static class EtcdReplies
{
    /// <summary>Every member the replies read: the parser keeps these and skips the rest (<see cref="Json.Parse(ReadOnlySpan{byte}, string[], MemoryBudget.Hold)"/>).</summary>
    public static readonly string[] Members =
    [
        "header", "revision", "ID", "TTL", "result", "kvs", "key", "value", "lease", "mod_revision", "create_revision",
        "succeeded", "responses", "response_range", "error", "message", "canceled", "events", "type", "kv",
    ];

    /// <summary>
    /// A single answer read as <paramref name="kind"/> (<see cref="EtcdRequestEncoder"/> says
    /// which). A watch's answer is a stream: its messages go to <see cref="WatchMessage"/>.
    /// </summary>
    public static EtcdReply Read(EtcdReplyKind kind, in EtcdRequest r, object? d) => kind switch
    {
        EtcdReplyKind.Grant => Grant(r, d),
        EtcdReplyKind.KeepAlive => KeepAlive(r, d),
        EtcdReplyKind.Applied => Applied(r, d),
        EtcdReplyKind.Range => Range(r, d),
        EtcdReplyKind.Sweep => Sweep(r, d),
        EtcdReplyKind.Campaign => Campaign(r, d),
        EtcdReplyKind.Refresh => Refresh(r, d),
        EtcdReplyKind.Batch => Batch(r, d),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a single answer"),
    };

    public static EtcdReply Grant(in EtcdRequest r, object? d)
    {
        Header(d);
        if (!Json.TryInt(d, "ID", out long lease) || lease == 0 || !Json.TryInt(d, "TTL", out long ttl))
        {
            throw new FormatException("a lease grant without an ID or a TTL");
        }
        return new EtcdReply(r.Id, r.Op, true, Lease: lease, Ttl: ttl);
    }

    /// <summary>A renewal: etcd echoes the lease's ID; no TTL (zero) means the lease is gone.</summary>
    public static EtcdReply KeepAlive(in EtcdRequest r, object? d)
    {
        object? result = Json.Get(d, "result") ?? d;
        Header(result);
        if (!Json.TryInt(result, "ID", out long lease) || lease != r.Lease)
        {
            throw new FormatException("a lease renewal for another lease");
        }
        long ttl = 0;
        if (Json.Get(result, "TTL") is not null && !Json.TryInt(result, "TTL", out ttl))
        {
            throw new FormatException("a lease renewal with a bad TTL");
        }
        return new EtcdReply(r.Id, r.Op, true, Lease: r.Lease, Ttl: ttl);
    }

    /// <summary>A revoke, a put or a delete: the header says it was applied (null: "not found", for a revoke).</summary>
    public static EtcdReply Applied(in EtcdRequest r, object? d)
    {
        if (d is not null || r.Op != EtcdOp.Revoke)
        {
            Header(d);
        }
        return new EtcdReply(r.Id, r.Op, true, Lease: r.Lease);
    }

    public static EtcdReply Range(in EtcdRequest r, object? response)
    {
        long revision = Header(response);
        switch (Json.Get(response, "kvs"))
        {
            case null:
                return new EtcdReply(r.Id, r.Op, true, Revision: revision);
            case List<object?> { Count: > 0 } kvs:
                object? kv = kvs[0];
                if (Json.Get(kv, "key") is not string)
                {
                    throw new FormatException("a read without the key");
                }
                return new EtcdReply(r.Id, r.Op, true, Exists: true, Value: Unbase64(Json.String(kv, "value")), ValueLease: Json.Int(kv, "lease"),
                                     Revision: revision, CreateRevision: Created(kv));
            default:
                throw new FormatException("a read with bad kvs");
        }
    }

    /// <summary>
    /// A sweep: every key under the prefix, each with its value, lease and revision. A key
    /// must be there and its revision a number; anything else makes the answer unreadable.
    /// </summary>
    public static EtcdReply Sweep(in EtcdRequest r, object? response)
    {
        long revision = Header(response);
        var kvs = new List<EtcdKeyValue>();
        switch (Json.Get(response, "kvs"))
        {
            case null:
                break;
            case List<object?> list:
                foreach (object? kv in list)
                {
                    if (Json.String(kv, "key") is not string key || !Json.TryInt(kv, "mod_revision", out long modRevision))
                    {
                        throw new FormatException("a read without the key or its revision");
                    }
                    kvs.Add(new EtcdKeyValue(Unbase64(key), Unbase64(Json.String(kv, "value")), Json.Int(kv, "lease"), modRevision,
                                             Created(kv)));
                }
                break;
            default:
                throw new FormatException("a read with bad kvs");
        }
        return new EtcdReply(r.Id, r.Op, true, Revision: revision, Kvs: kvs);
    }

    /// <summary>
    /// A batch's transaction: succeeded for every key, or not (proto3 leaves "succeeded"
    /// out) with the failure branch's read of each key, in the batch's order.
    /// </summary>
    public static EtcdReply Batch(in EtcdRequest r, object? d)
    {
        long revision = Header(d);
        if (Json.True(d, "succeeded"))
        {
            return new EtcdReply(r.Id, r.Op, true, Succeeded: true, Revision: revision);
        }
        int count = r.Batch?.Count ?? 0;
        if (Json.Get(d, "succeeded") is not (null or false)
            || Json.Get(d, "responses") is not List<object?> responses || responses.Count != count)
        {
            throw new FormatException("a transaction answer that says neither yes nor no");
        }
        var kvs = new List<EtcdKeyValue>();
        for (int i = 0; i < count; i++)
        {
            if (Json.Get(responses[i], "response_range") is not Dictionary<string, object?> range)
            {
                throw new FormatException("a transaction answer without its reads");
            }
            EtcdReply one = Range(r.Batch![i], range);
            if (one.Exists)
            {
                kvs.Add(new EtcdKeyValue(r.Batch[i].Key, one.Value ?? "", one.ValueLease, 0, one.CreateRevision));
            }
        }
        return new EtcdReply(r.Id, r.Op, true, Revision: revision, Kvs: kvs);
    }

    /// <summary>
    /// The campaign's transaction: won when it says so (the key was created at the
    /// transaction's revision), else the holder's key as the failure branch read it.
    /// </summary>
    public static EtcdReply Campaign(in EtcdRequest r, object? d)
    {
        long revision = Header(d);
        if (Json.True(d, "succeeded"))
        {
            return new EtcdReply(r.Id, r.Op, true, Succeeded: true, Revision: revision, CreateRevision: revision);
        }
        if (Json.Get(d, "succeeded") is not (null or false)
            || Json.Get(d, "responses") is not List<object?> { Count: > 0 } responses
            || Json.Get(responses[0], "response_range") is not Dictionary<string, object?> range)
        {
            throw new FormatException("a transaction answer that says neither yes nor no");
        }
        return Range(r, range) with { Revision = revision };
    }

    /// <summary>
    /// A transaction with no failure branch (the record's rewrite, a release, a take-back): the header says
    /// it was answered; a missing "succeeded" is proto3's false (the key is no longer ours).
    /// </summary>
    public static EtcdReply Refresh(in EtcdRequest r, object? d)
    {
        long revision = Header(d);
        if (Json.Get(d, "succeeded") is not (null or bool))
        {
            throw new FormatException("a transaction answer that says neither yes nor no");
        }
        return new EtcdReply(r.Id, r.Op, true, Succeeded: Json.True(d, "succeeded"), Revision: revision);
    }

    /// <summary>
    /// One streamed watch message: its events added to <paramref name="events"/>; false
    /// when it ends the watch (<paramref name="error"/> says why).
    /// </summary>
    public static bool WatchMessage(in EtcdRequest r, object? d, List<EtcdReply> events, out string? error)
    {
        error = null;
        if (Json.Get(d, "error") is object e)
        {
            error = Json.String(e, "message") ?? Json.String(d, "message") ?? "watch error";
            return false;
        }
        if (Json.Get(d, "result") is not Dictionary<string, object?> result)
        {
            throw new FormatException("a watch message without a result");
        }
        if (Json.True(result, "canceled"))
        {
            error = "watch canceled";
            return false;
        }
        switch (Json.Get(result, "events"))
        {
            case null:
                return true;
            case List<object?> list:
                foreach (object? ev in list)
                {
                    bool deleted = Json.String(ev, "type") switch
                    {
                        null or "PUT" => false,
                        "DELETE" => true,
                        _ => throw new FormatException("a watch event of an unknown type"),
                    };
                    object? kv = Json.Get(ev, "kv");
                    if (!Json.TryInt(kv, "mod_revision", out long revision))
                    {
                        throw new FormatException("a watch event without a revision");
                    }
                    if (Json.String(kv, "key") is not string key)
                    {
                        throw new FormatException("a watch event without a key");
                    }
                    events.Add(new EtcdReply(r.Id, r.Op, true, Key: Unbase64(key), Exists: !deleted, Value: deleted ? "" : Unbase64(Json.String(kv, "value")),
                                             ValueLease: deleted ? 0 : Json.Int(kv, "lease"), Revision: revision,
                                             CreateRevision: deleted ? 0 : Created(kv)));
                }
                return true;
            default:
                throw new FormatException("a watch message with bad events");
        }
    }

    /// <summary>The store's revision from etcd's response header, which every answer carries.</summary>
    static long Header(object? d)
    {
        if (!Json.TryInt(Json.Get(d, "header"), "revision", out long revision))
        {
            throw new FormatException("not an etcd answer (no response header)");
        }
        return revision;
    }

    /// <summary>A key's create_revision; 0 (not known) when absent or not a positive number.</summary>
    static long Created(object? kv) => Json.Int(kv, "create_revision") is > 0 and long created ? created : 0;

    static string Unbase64(string? text) => text is null ? "" : Encoding.UTF8.GetString(Convert.FromBase64String(text));
}
