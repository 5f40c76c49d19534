using Ucarp.Core.Etcd;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>
/// The bytes each request puts on the wire, written out by hand in etcd v3's JSON gateway
/// format (keys and values base64 of their UTF-8 bytes, int64s as decimal strings, the
/// fields in the order the daemon has always sent them), so a change to any body shows here
/// before an etcd member sees it. The base64 was worked out apart from the encoder.
/// </summary>
public class EtcdRequestEncoderTests
{
    const long Lease = 5007618166444348933;
    const long OldLease = 7587869011396337923;
    // In base64: L3VjYXJwLzEwLjAuMC4x, L3VjYXJwLzEwLjAuMC4y and L3VjYXJwLzEwLjAuMC4xL3ByZWVtcHQ=.
    const string Key1 = "/ucarp/10.0.0.1", Key2 = "/ucarp/10.0.0.2", Preempt = "/ucarp/10.0.0.1/preempt";
    // In base64: eyJub2RlIjoiYSIsInByaW8iOjF9, eyJub2RlIjoiYSIsInByaW8iOjB9 and eyJub2RlIjoiYiJ9.
    const string Record = """{"node":"a","prio":1}""", OldRecord = """{"node":"a","prio":0}""", Record2 = """{"node":"b"}""";

    static EncodedRequest Encode(EtcdRequest r)
    {
        Assert.That(EtcdRequestEncoder.TryEncode(r, out EncodedRequest e, out string? error), Is.True, error);
        return e;
    }

    /// <summary>Every op, each as one request to one path with one body, and the reader of its answer.</summary>
    static IEnumerable<TestCaseData> Golden()
    {
        static TestCaseData Case(string name, EtcdRequest request, EncodedRequest expected) =>
            new TestCaseData(request, expected).SetArgDisplayNames(name);
        const string txn = "/v3/kv/txn";
        yield return Case("Grant", new(1, EtcdOp.Grant, Ttl: 3), new("/v3/lease/grant", """{"TTL":"3"}""", EtcdReplyKind.Grant));
        // A renewal retried while others wait starts Attempt members further along.
        yield return Case("KeepAlive", new(2, EtcdOp.KeepAlive, Lease, Attempt: 2),
                          new("/v3/lease/keepalive", """{"ID":"5007618166444348933"}""", EtcdReplyKind.KeepAlive, Skip: 2));
        // A lease already gone is revoked: etcd's "not found" is the answer.
        yield return Case("Revoke", new(3, EtcdOp.Revoke, Lease),
                          new("/v3/lease/revoke", """{"ID":"5007618166444348933"}""", EtcdReplyKind.Applied, NotFoundIsOk: true));
        yield return Case("Get", new(4, EtcdOp.Get, Key: Key1), new("/v3/kv/range", """{"key":"L3VjYXJwLzEwLjAuMC4x"}""", EtcdReplyKind.Range));
        // "/ucarp/" ends the range at "/ucarp0": '/' (0x2f) plus one is '0' (0x30). A sweep
        // covers the prefix whether Prefix is set or not.
        EncodedRequest sweep = new("/v3/kv/range", """{"key":"L3VjYXJwLw==","range_end":"L3VjYXJwMA=="}""", EtcdReplyKind.Sweep);
        yield return Case("Sweep", new(5, EtcdOp.Sweep, Key: "/ucarp/", Prefix: true), sweep);
        yield return Case("Sweep without Prefix", new(5, EtcdOp.Sweep, Key: "/ucarp/"), sweep);
        yield return Case("Watch", new(6, EtcdOp.Watch, Key: Key1, Revision: 42),
                          new("/v3/watch", """{"create_request":{"key":"L3VjYXJwLzEwLjAuMC4x","start_revision":"42"}}""", EtcdReplyKind.WatchEvents));
        yield return Case("Watch without a start revision", new(6, EtcdOp.Watch, Key: Key1),
                          new("/v3/watch", """{"create_request":{"key":"L3VjYXJwLzEwLjAuMC4x","start_revision":"0"}}""", EtcdReplyKind.WatchEvents));
        yield return Case("Watch of a prefix", new(7, EtcdOp.Watch, Key: "/ucarp/", Revision: 1234567890123, Prefix: true),
                          new("/v3/watch", """{"create_request":{"key":"L3VjYXJwLw==","range_end":"L3VjYXJwMA==","start_revision":"1234567890123"}}""",
                              EtcdReplyKind.WatchEvents));
        // Put the key if it has never been created, else read it.
        yield return Case("Campaign", new(8, EtcdOp.Campaign, Lease, Key1, Record), new(txn,
            """{"compare":[{"key":"L3VjYXJwLzEwLjAuMC4x","target":"CREATE","result":"EQUAL","create_revision":"0"}]""" +
            ""","success":[{"request_put":{"key":"L3VjYXJwLzEwLjAuMC4x","value":"eyJub2RlIjoiYSIsInByaW8iOjF9","lease":"5007618166444348933"}}]""" +
            ""","failure":[{"request_range":{"key":"L3VjYXJwLzEwLjAuMC4x"}}]}""", EtcdReplyKind.Campaign));
        // Move the key to our lease only as the last run left it: on its lease, with its record.
        yield return Case("TakeBack", new(9, EtcdOp.TakeBack, Lease, Key1, Record, OldLease: OldLease, OldValue: OldRecord), new(txn,
            """{"compare":[{"key":"L3VjYXJwLzEwLjAuMC4x","target":"LEASE","result":"EQUAL","lease":"7587869011396337923"},""" +
            """{"key":"L3VjYXJwLzEwLjAuMC4x","target":"VALUE","result":"EQUAL","value":"eyJub2RlIjoiYSIsInByaW8iOjB9"}]""" +
            ""","success":[{"request_put":{"key":"L3VjYXJwLzEwLjAuMC4x","value":"eyJub2RlIjoiYSIsInByaW8iOjF9","lease":"5007618166444348933"}}]}""",
            EtcdReplyKind.Refresh));
        // Release and refresh act only while the key is on our lease.
        yield return Case("Release", new(10, EtcdOp.Release, Lease, Key1), new(txn,
            """{"compare":[{"key":"L3VjYXJwLzEwLjAuMC4x","target":"LEASE","result":"EQUAL","lease":"5007618166444348933"}]""" +
            ""","success":[{"request_delete_range":{"key":"L3VjYXJwLzEwLjAuMC4x"}}]}""", EtcdReplyKind.Refresh));
        // ... and, its create revision known, only while it is the key that was won, not one created again since.
        yield return Case("Release of the key created at 40", new(10, EtcdOp.Release, Lease, Key1, Revision: 40), new(txn,
            """{"compare":[{"key":"L3VjYXJwLzEwLjAuMC4x","target":"LEASE","result":"EQUAL","lease":"5007618166444348933"},""" +
            """{"key":"L3VjYXJwLzEwLjAuMC4x","target":"CREATE","result":"EQUAL","create_revision":"40"}]""" +
            ""","success":[{"request_delete_range":{"key":"L3VjYXJwLzEwLjAuMC4x"}}]}""", EtcdReplyKind.Refresh));
        yield return Case("Refresh", new(11, EtcdOp.Refresh, Lease, Key1, Record), new(txn,
            """{"compare":[{"key":"L3VjYXJwLzEwLjAuMC4x","target":"LEASE","result":"EQUAL","lease":"5007618166444348933"}]""" +
            ""","success":[{"request_put":{"key":"L3VjYXJwLzEwLjAuMC4x","value":"eyJub2RlIjoiYSIsInByaW8iOjF9","lease":"5007618166444348933"}}]}""",
            EtcdReplyKind.Refresh));
        yield return Case("PutPreempt", new(12, EtcdOp.PutPreempt, Lease, Preempt, Record), new("/v3/kv/put",
            """{"key":"L3VjYXJwLzEwLjAuMC4xL3ByZWVtcHQ=","value":"eyJub2RlIjoiYSIsInByaW8iOjF9","lease":"5007618166444348933"}""", EtcdReplyKind.Applied));
        yield return Case("DeletePreempt", new(13, EtcdOp.DeletePreempt, Key: Preempt),
                          new("/v3/kv/deleterange", """{"key":"L3VjYXJwLzEwLjAuMC4xL3ByZWVtcHQ="}""", EtcdReplyKind.Applied));
        // Batches: one transaction for all the keys, which reads every key when it fails.
        yield return Case("Campaign batch", new(22, EtcdOp.Campaign, Lease,
                                                Batch: [new(20, EtcdOp.Campaign, Lease, Key1, Record), new(21, EtcdOp.Campaign, Lease, Key2, Record2)]), new(txn,
            """{"compare":[{"key":"L3VjYXJwLzEwLjAuMC4x","target":"CREATE","result":"EQUAL","create_revision":"0"},""" +
            """{"key":"L3VjYXJwLzEwLjAuMC4y","target":"CREATE","result":"EQUAL","create_revision":"0"}]""" +
            ""","success":[{"request_put":{"key":"L3VjYXJwLzEwLjAuMC4x","value":"eyJub2RlIjoiYSIsInByaW8iOjF9","lease":"5007618166444348933"}},""" +
            """{"request_put":{"key":"L3VjYXJwLzEwLjAuMC4y","value":"eyJub2RlIjoiYiJ9","lease":"5007618166444348933"}}]""" +
            ""","failure":[{"request_range":{"key":"L3VjYXJwLzEwLjAuMC4x"}},{"request_range":{"key":"L3VjYXJwLzEwLjAuMC4y"}}]}""",
            EtcdReplyKind.Batch));
        yield return Case("TakeBack batch", new(32, EtcdOp.TakeBack, Lease,
                                                Batch: [new(30, EtcdOp.TakeBack, Lease, Key1, Record, OldLease: OldLease, OldValue: OldRecord),
                                                        new(31, EtcdOp.TakeBack, Lease, Key2, Record2, OldLease: 1, OldValue: Record)]), new(txn,
            """{"compare":[{"key":"L3VjYXJwLzEwLjAuMC4x","target":"LEASE","result":"EQUAL","lease":"7587869011396337923"},""" +
            """{"key":"L3VjYXJwLzEwLjAuMC4x","target":"VALUE","result":"EQUAL","value":"eyJub2RlIjoiYSIsInByaW8iOjB9"},""" +
            """{"key":"L3VjYXJwLzEwLjAuMC4y","target":"LEASE","result":"EQUAL","lease":"1"},""" +
            """{"key":"L3VjYXJwLzEwLjAuMC4y","target":"VALUE","result":"EQUAL","value":"eyJub2RlIjoiYSIsInByaW8iOjF9"}]""" +
            ""","success":[{"request_put":{"key":"L3VjYXJwLzEwLjAuMC4x","value":"eyJub2RlIjoiYSIsInByaW8iOjF9","lease":"5007618166444348933"}},""" +
            """{"request_put":{"key":"L3VjYXJwLzEwLjAuMC4y","value":"eyJub2RlIjoiYiJ9","lease":"5007618166444348933"}}]""" +
            ""","failure":[{"request_range":{"key":"L3VjYXJwLzEwLjAuMC4x"}},{"request_range":{"key":"L3VjYXJwLzEwLjAuMC4y"}}]}""",
            EtcdReplyKind.Batch));
    }

    [TestCaseSource(nameof(Golden))]
    public void Each_request_goes_as_the_gateway_takes_it(EtcdRequest request, EncodedRequest expected) =>
        Assert.That(Encode(request), Is.EqualTo(expected));

    [Test]
    public void Only_a_renewal_skips_members() =>
        Assert.That(Encode(new(1, EtcdOp.Get, Key: Key1, Attempt: 3)).Skip, Is.Zero);

    [Test]
    public void Keys_and_values_go_as_standard_base64_of_their_utf8_bytes()
    {
        // "/日本/ü" is 2f e6 97 a5 e6 9c ac 2f c3 bc: its base64 holds '+', '/' and padding,
        // which JSON leaves as they are (and the URL-safe alphabet would not).
        const string key = "/日本/ü", keyB64 = "L+aXpeacrC/DvA==";
        Assert.That(Encode(new(40, EtcdOp.Get, Key: key)).Body, Is.EqualTo($$"""{"key":"{{keyB64}}"}"""));
        // "ノード/é": e3 83 8e e3 83 bc e3 83 89 2f c3 a9.
        Assert.That(Encode(new(41, EtcdOp.PutPreempt, 7, key, "ノード/é")).Body,
                    Is.EqualTo($$"""{"key":"{{keyB64}}","value":"44OO44O844OJL8Op","lease":"7"}"""));
        // The range ends at the last byte plus one: bc becomes bd, inside the two-byte "ü".
        Assert.That(Encode(new(42, EtcdOp.Sweep, Key: key)).Body,
                    Is.EqualTo($$"""{"key":"{{keyB64}}","range_end":"L+aXpeacrC/DvQ=="}"""));
        // A quote or a backslash in a key is base64 too: nothing in a body needs escaping.
        Assert.That(Encode(new(43, EtcdOp.DeletePreempt, Key: "a\"b\\")).Body, Is.EqualTo("""{"key":"YSJiXA=="}"""));
    }

    [Test]
    public void A_range_end_drops_trailing_ff_bytes_before_adding_one()
    {
        Assert.That(EtcdRequestEncoder.RangeEnd([0x61, 0xff, 0xff]), Is.EqualTo("Yg=="), "61 ff ff ends at 62");
        Assert.That(EtcdRequestEncoder.RangeEnd([0x61, 0x62]), Is.EqualTo("YWM="), "61 62 ends at 61 63");
        // Nothing left to add one to: the range is every key, from the key to "\0".
        Assert.That(EtcdRequestEncoder.RangeEnd([0xff, 0xff]), Is.EqualTo("AA=="));
        Assert.That(EtcdRequestEncoder.RangeEnd([]), Is.EqualTo("AA=="));
        byte[] prefix = [0x61, 0xff];
        EtcdRequestEncoder.RangeEnd(prefix);
        Assert.That(prefix, Is.EqualTo(new byte[] { 0x61, 0xff }), "the caller's bytes are left as they were");
    }

    [Test]
    public void A_sweep_of_the_empty_prefix_covers_every_key() =>
        Assert.That(Encode(new(44, EtcdOp.Sweep, Key: "")).Body, Is.EqualTo("""{"key":"","range_end":"AA=="}"""));

    [Test]
    public void An_unknown_op_fails_without_throwing()
    {
        EtcdRequest unknown = new(50, (EtcdOp)200, Lease, Key1, Record);
        Assert.That(EtcdRequestEncoder.TryEncode(unknown, out EncodedRequest e, out string? error), Is.False);
        Assert.That(error, Is.EqualTo("no etcd request for op 200"));
        Assert.That(e, Is.EqualTo(default(EncodedRequest)));
    }

    [Test]
    public void A_batch_of_anything_but_campaigns_or_take_backs_fails()
    {
        EtcdRequest[] keys = [new(60, EtcdOp.Release, Lease, Key1), new(61, EtcdOp.Release, Lease, Key2)];
        Assert.That(EtcdRequestEncoder.TryEncode(new EtcdRequest(62, EtcdOp.Release, Lease, Batch: keys), out _, out string? error), Is.False);
        Assert.That(error, Is.EqualTo("no etcd request for a batch of Release"));
    }

    [Test]
    public void Read_takes_the_reader_the_kind_names()
    {
        const string header = "\"header\":{\"revision\":\"9\"}";
        EtcdReply grant = EtcdReplies.Read(EtcdReplyKind.Grant, new(1, EtcdOp.Grant, Ttl: 3), Json.Parse("{" + header + ",\"ID\":\"5\",\"TTL\":\"3\"}"));
        Assert.That((grant.Lease, grant.Ttl), Is.EqualTo((5L, 3L)));
        EtcdReply won = EtcdReplies.Read(EtcdReplyKind.Campaign, new(2, EtcdOp.Campaign), Json.Parse("{" + header + ",\"succeeded\":true}"));
        Assert.That((won.Succeeded, won.Revision), Is.EqualTo((true, 9L)));
        // A watch answers in a stream, read message by message: there is no single answer.
        Assert.Throws<ArgumentOutOfRangeException>(() => EtcdReplies.Read(EtcdReplyKind.WatchEvents, new(3, EtcdOp.Watch), Json.Parse("{}")));
    }
}
