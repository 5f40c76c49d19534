using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Ucarp.Core.Etcd;

/// <summary>Which of <see cref="EtcdReplies"/>' readers makes a request's answer an <see cref="EtcdReply"/>.</summary>
public enum EtcdReplyKind : byte
{
    /// <summary><see cref="EtcdReplies.Grant"/>.</summary>
    Grant,
    /// <summary><see cref="EtcdReplies.KeepAlive"/>.</summary>
    KeepAlive,
    /// <summary><see cref="EtcdReplies.Applied"/>: a revoke, a put or a delete.</summary>
    Applied,
    /// <summary><see cref="EtcdReplies.Range"/>.</summary>
    Range,
    /// <summary><see cref="EtcdReplies.Sweep"/>.</summary>
    Sweep,
    /// <summary><see cref="EtcdReplies.Campaign"/>.</summary>
    Campaign,
    /// <summary><see cref="EtcdReplies.Refresh"/>: a transaction without a failure branch.</summary>
    Refresh,
    /// <summary><see cref="EtcdReplies.Batch"/>.</summary>
    Batch,
    /// <summary>Not one answer but a stream of messages, each read by <see cref="EtcdReplies.WatchMessage"/>.</summary>
    WatchEvents,
}

/// <summary>
/// One request as the gateway takes it: POST <see cref="Path"/> with <see cref="Body"/>, its
/// answer read as <see cref="Reply"/> says. <see cref="NotFoundIsOk"/>: etcd's "not found"
/// is an answer, not a failure (a lease already gone is revoked). <see cref="Skip"/>: how many
/// members further along the first attempt starts (<see cref="EtcdRequest.Attempt"/>).
/// </summary>
public readonly record struct EncodedRequest(string Path, string Body, EtcdReplyKind Reply, bool NotFoundIsOk = false, int Skip = 0);

/// <summary>
/// The election's requests in etcd v3's JSON gateway format: the path and the JSON body of
/// each <see cref="EtcdOp"/>, and which reader takes its answer. Keys and values go as
/// base64 of their UTF-8 bytes (proto3's bytes mapping), integers as decimal strings
/// (proto3's int64 mapping); base64 and digits never need JSON escaping, so the bodies are
/// written as they are. Pure: the daemon sends what this gives, the tests read it.
/// </summary>
public static class EtcdRequestEncoder
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// The request's path, body and reader; false, with <paramref name="error"/> saying why, for
    /// an op (or a batch of an op) with no etcd request, which the caller answers as a failed
    /// reply: nothing a request carries may end the daemon.
    /// </summary>
    public static bool TryEncode(in EtcdRequest r, out EncodedRequest encoded, [NotNullWhen(false)] out string? error)
    {
        encoded = default;
        error = null;
        if (r.Batch is { } batch)
        {
            // Only campaigns and take-backs are batched (EtcdSession.SendCampaigns).
            if (r.Op is not (EtcdOp.Campaign or EtcdOp.TakeBack))
            {
                error = $"no etcd request for a batch of {r.Op}";
                return false;
            }
            string body = r.Op == EtcdOp.TakeBack ? TakeBackTxn(batch, readOnFailure: true) : CampaignTxn(batch);
            encoded = new EncodedRequest("/v3/kv/txn", body, EtcdReplyKind.Batch);
            return true;
        }
        switch (r.Op)
        {
            case EtcdOp.Grant:
                encoded = new("/v3/lease/grant", $"{{\"TTL\":\"{Dec(r.Ttl)}\"}}", EtcdReplyKind.Grant);
                break;
            case EtcdOp.KeepAlive:
                encoded = new("/v3/lease/keepalive", $"{{\"ID\":\"{Dec(r.Lease)}\"}}", EtcdReplyKind.KeepAlive, Skip: r.Attempt);
                break;
            case EtcdOp.Revoke:
                encoded = new("/v3/lease/revoke", $"{{\"ID\":\"{Dec(r.Lease)}\"}}", EtcdReplyKind.Applied, NotFoundIsOk: true);
                break;
            case EtcdOp.Get:
                encoded = new("/v3/kv/range", $"{{\"key\":\"{B64(r.Key)}\"}}", EtcdReplyKind.Range);
                break;
            case EtcdOp.Sweep:
                // A sweep always covers the prefix, Prefix set or not: it reads every holder.
                encoded = new("/v3/kv/range", $"{{\"key\":\"{B64(r.Key)}\",\"range_end\":\"{RangeEnd(r.Key)}\"}}", EtcdReplyKind.Sweep);
                break;
            case EtcdOp.Watch:
            {
                string range = r.Prefix ? $"\"range_end\":\"{RangeEnd(r.Key)}\"," : "";
                encoded = new("/v3/watch", $"{{\"create_request\":{{\"key\":\"{B64(r.Key)}\",{range}\"start_revision\":\"{Dec(r.Revision)}\"}}}}",
                              EtcdReplyKind.WatchEvents);
                break;
            }
            case EtcdOp.Campaign:
                // Create the key with our lease only if it has never been created (create_revision 0);
                // else read it, in the same transaction: a batch of one.
                encoded = new("/v3/kv/txn", CampaignTxn([r]), EtcdReplyKind.Campaign);
                break;
            case EtcdOp.TakeBack:
                // Only if the key is exactly as our previous run left it: on its lease, with its
                // record. Alone it has no failure branch: its answer says only whether it applied.
                encoded = new("/v3/kv/txn", TakeBackTxn([r], readOnFailure: false), EtcdReplyKind.Refresh);
                break;
            case EtcdOp.Release:
                // Only while the key is still ours (another node may hold it already), and still
                // the key we meant: a deletion that arrives late (its attempt timed out, or it
                // waited on a member without a leader) must not delete the key created again,
                // on the same lease, by a campaign since.
                string compare = r.Revision == 0 ? LeaseIs(r.Key, r.Lease) : LeaseIs(r.Key, r.Lease) + "," + CreatedAt(r.Key, r.Revision);
                encoded = new("/v3/kv/txn", Txn(compare, $"{{\"request_delete_range\":{{\"key\":\"{B64(r.Key)}\"}}}}", failure: null),
                              EtcdReplyKind.Refresh);
                break;
            case EtcdOp.PutPreempt:
                encoded = new("/v3/kv/put", KeyValueLease(r), EtcdReplyKind.Applied);
                break;
            case EtcdOp.Refresh:
                // Only while the key is still ours: compare its lease with ours.
                encoded = new("/v3/kv/txn", Txn(LeaseIs(r.Key, r.Lease), Put(r), failure: null), EtcdReplyKind.Refresh);
                break;
            case EtcdOp.DeletePreempt:
                encoded = new("/v3/kv/deleterange", $"{{\"key\":\"{B64(r.Key)}\"}}", EtcdReplyKind.Applied);
                break;
            default:
                error = $"no etcd request for op {r.Op}";
                return false;
        }
        return true;
    }

    /// <summary>
    /// Campaigns: every key absent (never created), put each with our lease; failing, read
    /// every key, so each election learns who holds its own.
    /// </summary>
    static string CampaignTxn(IReadOnlyList<EtcdRequest> keys) =>
        Txn(Each(keys, r => CreatedAt(r.Key, 0)), Each(keys, Put), Each(keys, ReadKey));

    /// <summary>The compare "the key was created at <paramref name="revision"/>" (0: it does not exist).</summary>
    static string CreatedAt(string key, long revision) =>
        $"{{\"key\":\"{B64(key)}\",\"target\":\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"{Dec(revision)}\"}}";

    /// <summary>Take-backs: every key still on its old lease with its old record, put each with ours.</summary>
    static string TakeBackTxn(IReadOnlyList<EtcdRequest> keys, bool readOnFailure) =>
        Txn(Each(keys, r => LeaseIs(r.Key, r.OldLease) + "," +
                            $"{{\"key\":\"{B64(r.Key)}\",\"target\":\"VALUE\",\"result\":\"EQUAL\",\"value\":\"{B64(r.OldValue)}\"}}"),
            Each(keys, Put), readOnFailure ? Each(keys, ReadKey) : null);

    static string Txn(string compare, string success, string? failure) =>
        $"{{\"compare\":[{compare}],\"success\":[{success}]" + (failure is null ? "}" : $",\"failure\":[{failure}]}}");

    static string Each(IReadOnlyList<EtcdRequest> keys, Func<EtcdRequest, string> part)
    {
        var text = new StringBuilder();
        foreach (EtcdRequest r in keys)
        {
            text.Append(text.Length == 0 ? "" : ",").Append(part(r));
        }
        return text.ToString();
    }

    static string LeaseIs(string key, long lease) =>
        $"{{\"key\":\"{B64(key)}\",\"target\":\"LEASE\",\"result\":\"EQUAL\",\"lease\":\"{Dec(lease)}\"}}";

    static string Put(EtcdRequest r) => $"{{\"request_put\":{KeyValueLease(r)}}}";

    static string KeyValueLease(in EtcdRequest r) => $"{{\"key\":\"{B64(r.Key)}\",\"value\":\"{B64(r.Value)}\",\"lease\":\"{Dec(r.Lease)}\"}}";

    static string ReadKey(EtcdRequest r) => $"{{\"request_range\":{{\"key\":\"{B64(r.Key)}\"}}}}";

    static string Dec(long value) => value.ToString(Inv);

    static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    static string RangeEnd(string prefix) => RangeEnd(Encoding.UTF8.GetBytes(prefix));

    /// <summary>
    /// etcd's end of the range of every key that starts with <paramref name="prefix"/>: the
    /// prefix with its last byte plus one, trailing 0xff bytes dropped first (they cannot be
    /// incremented); a prefix of 0xff bytes only (or none) ranges over every key ("\0").
    /// UTF-8 text never holds 0xff, so that case is reached from bytes only.
    /// </summary>
    internal static string RangeEnd(byte[] prefix)
    {
        byte[] end = (byte[])prefix.Clone();
        int n = end.Length;
        while (n > 0 && end[n - 1] == 0xff)
        {
            n--;
        }
        if (n == 0)
        {
            return Convert.ToBase64String([0]); // every key
        }
        end[n - 1]++;
        return Convert.ToBase64String(end, 0, n);
    }
}
