using Ucarp.Core.Etcd;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>
/// Gateway answers to replies: real etcd 3.4 answers (captured with curl) say yes or no;
/// an answer that says neither (`{}`, a missing ID or TTL) is a failed request.
/// </summary>
public class EtcdRepliesTests
{
    const string Header = "\"header\":{\"cluster_id\":\"7801232528081817440\",\"member_id\":\"13458989633860879742\",\"revision\":\"3\",\"raft_term\":\"2\"}";
    static readonly EtcdRequest Grant = new(1, EtcdOp.Grant, Ttl: 3);
    static readonly EtcdRequest KeepAlive = new(2, EtcdOp.KeepAlive, Lease: 5007618166444348933);
    static readonly EtcdRequest Campaign = new(3, EtcdOp.Campaign, Lease: 5007618166444348933, Key: "a");
    static readonly EtcdRequest Get = new(4, EtcdOp.Get, Key: "a");

    // As the client reads them: only the members the replies read are kept.
    static object? J(string text) => Json.Parse(text, EtcdReplies.Members);

    [Test]
    public void A_grant_carries_etcds_id_and_ttl()
    {
        EtcdReply r = EtcdReplies.Grant(Grant, J("{" + Header + ",\"ID\":\"5007618166444348933\",\"TTL\":\"5\"}"));
        Assert.That((r.Ok, r.Lease, r.Ttl), Is.EqualTo((true, 5007618166444348933L, 5L)));
        // What etcd said, out of range or not: the election decides what to do with it.
        Assert.That(EtcdReplies.Grant(Grant, J("{" + Header + ",\"ID\":\"1\",\"TTL\":\"9223372036854775807\"}")).Ttl, Is.EqualTo(long.MaxValue));
    }

    [TestCase("{}")]
    [TestCase("{" + Header + "}")]
    [TestCase("{" + Header + ",\"ID\":\"5\"}")]
    [TestCase("{" + Header + ",\"TTL\":\"5\"}")]
    [TestCase("{" + Header + ",\"ID\":\"0\",\"TTL\":\"5\"}")]
    [TestCase("{" + Header + ",\"ID\":\"5\",\"TTL\":\"x\"}")]
    [TestCase("{" + Header + ",\"ID\":\"5\",\"TTL\":\"99999999999999999999\"}")]
    [TestCase("{\"ID\":\"5\",\"TTL\":\"5\"}")]
    [TestCase("[]")]
    [TestCase("null")]
    public void A_grant_without_an_id_or_ttl_fails(string answer) =>
        Assert.Throws<FormatException>(() => EtcdReplies.Grant(Grant, J(answer)));

    [Test]
    public void A_renewal_gives_the_ttl_and_an_expired_lease_gives_zero()
    {
        EtcdReply r = EtcdReplies.KeepAlive(KeepAlive, J("{\"result\":{" + Header + ",\"ID\":\"5007618166444348933\",\"TTL\":\"3\"}}"));
        Assert.That((r.Ok, r.Ttl), Is.EqualTo((true, 3L)));
        // etcd 3.4 on an expired lease: the ID echoed, the zero TTL left out.
        r = EtcdReplies.KeepAlive(KeepAlive, J("{\"result\":{" + Header + ",\"ID\":\"5007618166444348933\"}}"));
        Assert.That((r.Ok, r.Ttl), Is.EqualTo((true, 0L)));
    }

    [TestCase("{}")]
    [TestCase("{\"result\":{}}")]
    [TestCase("{\"result\":{" + Header + "}}")]
    [TestCase("{\"result\":{" + Header + ",\"ID\":\"6\",\"TTL\":\"3\"}}")]
    [TestCase("{\"result\":{\"ID\":\"5007618166444348933\",\"TTL\":\"3\"}}")]
    [TestCase("{\"result\":{" + Header + ",\"ID\":\"5007618166444348933\",\"TTL\":true}}")]
    public void A_renewal_that_does_not_name_our_lease_fails(string answer) =>
        Assert.Throws<FormatException>(() => EtcdReplies.KeepAlive(KeepAlive, J(answer)));

    [Test]
    public void A_campaign_is_won_only_when_etcd_says_succeeded()
    {
        EtcdReply won = EtcdReplies.Campaign(Campaign, J("{" + Header + ",\"succeeded\":true,\"responses\":[{\"response_put\":{\"header\":{\"revision\":\"3\"}}}]}"));
        Assert.That((won.Ok, won.Succeeded, won.Revision, won.CreateRevision), Is.EqualTo((true, true, 3L, 3L)), "the key was created by this transaction");
        // A failed compare: no "succeeded" (false is left out), the failure branch's read instead.
        EtcdReply lost = EtcdReplies.Campaign(Campaign, J("{" + Header + ",\"responses\":[{\"response_range\":{\"header\":{\"revision\":\"2\"}," +
            "\"kvs\":[{\"key\":\"YQ==\",\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":\"1\",\"value\":\"Yg==\",\"lease\":\"77\"}],\"count\":\"1\"}}]}"));
        Assert.That((lost.Ok, lost.Succeeded, lost.Exists, lost.Value, lost.ValueLease, lost.Revision, lost.CreateRevision),
                    Is.EqualTo((true, false, true, "b", 77L, 3L, 2L)));
    }

    [TestCase("{}")]
    [TestCase("{\"succeeded\":true}")]
    [TestCase("{" + Header + "}")]
    [TestCase("{" + Header + ",\"succeeded\":\"true\"}")]
    [TestCase("{" + Header + ",\"succeeded\":false}")]
    [TestCase("{" + Header + ",\"responses\":[]}")]
    [TestCase("{" + Header + ",\"responses\":[{\"response_put\":{}}]}")]
    [TestCase("{" + Header + ",\"responses\":[{\"response_range\":{}}]}")]
    [TestCase("{" + Header + ",\"responses\":[{\"response_range\":{\"header\":{\"revision\":\"2\"},\"kvs\":[{}]}}]}")]
    public void A_campaign_answer_that_says_neither_yes_nor_no_fails(string answer) =>
        Assert.Throws<FormatException>(() => EtcdReplies.Campaign(Campaign, J(answer)));

    [Test]
    public void A_read_of_a_missing_key_and_of_a_lease_less_key()
    {
        EtcdReply missing = EtcdReplies.Range(Get, J("{" + Header + "}"));
        Assert.That((missing.Ok, missing.Exists, missing.Revision), Is.EqualTo((true, false, 3L)));
        EtcdReply bare = EtcdReplies.Range(Get, J("{" + Header + ",\"kvs\":[{\"key\":\"YQ==\",\"mod_revision\":\"2\"}],\"count\":\"1\"}"));
        Assert.That((bare.Exists, bare.Value, bare.ValueLease), Is.EqualTo((true, "", 0L)));
    }

    [TestCase("{}")]
    [TestCase("{\"kvs\":[]}")]
    [TestCase("{" + Header + ",\"kvs\":{}}")]
    [TestCase("{" + Header + ",\"kvs\":[{\"key\":\"YQ==\",\"value\":\"!!\"}]}")]
    public void A_read_without_a_header_or_with_bad_kvs_fails(string answer) =>
        Assert.Throws<FormatException>(() => EtcdReplies.Range(Get, J(answer)));

    [Test]
    public void A_put_or_delete_needs_the_header_and_a_revoke_may_find_nothing()
    {
        Assert.That(EtcdReplies.Applied(new EtcdRequest(5, EtcdOp.PutPreempt), J("{" + Header + "}")).Ok, Is.True);
        Assert.Throws<FormatException>(() => EtcdReplies.Applied(new EtcdRequest(5, EtcdOp.PutPreempt), J("{}")));
        Assert.Throws<FormatException>(() => EtcdReplies.Applied(new EtcdRequest(5, EtcdOp.DeletePreempt), null));
        Assert.That(EtcdReplies.Applied(new EtcdRequest(6, EtcdOp.Revoke, Lease: 9), null).Lease, Is.EqualTo(9));
    }

    [Test]
    public void A_watch_stream_gives_events_and_says_when_it_ends()
    {
        var watch = new EtcdRequest(7, EtcdOp.Watch, Key: "a");
        var events = new List<EtcdReply>();
        Assert.That(EtcdReplies.WatchMessage(watch, J("{\"result\":{" + Header + ",\"created\":true}}"), events, out _), Is.True);
        Assert.That(EtcdReplies.WatchMessage(watch, J("{\"result\":{" + Header + ",\"events\":[{\"kv\":{\"key\":\"YQ==\",\"create_revision\":\"3\",\"mod_revision\":\"4\",\"value\":\"Yg==\",\"lease\":\"8\"}}," +
            "{\"type\":\"DELETE\",\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"5\"}}," +
            "{\"kv\":{\"key\":\"YQ==\",\"create_revision\":\"-6\",\"mod_revision\":\"6\",\"value\":\"Yg==\",\"lease\":\"8\"}}]}}"), events, out _), Is.True);
        Assert.That(events.Select(e => (e.Key, e.Exists, e.Value, e.ValueLease, e.Revision, e.CreateRevision)),
                    Is.EqualTo(new[] { ("a", true, "b", 8L, 4L, 3L), ("a", false, "", 0L, 5L, 0L), ("a", true, "b", 8L, 6L, 0L) }),
                    "a create revision that is not a positive number is not known");
        Assert.That(EtcdReplies.WatchMessage(watch, J("{\"result\":{" + Header + ",\"canceled\":true}}"), events, out string? why), Is.False);
        Assert.That(why, Is.EqualTo("watch canceled"));
        Assert.That(EtcdReplies.WatchMessage(watch, J("{\"error\":{\"grpc_code\":14,\"message\":\"etcdserver: no leader\"}}"), events, out why), Is.False);
        Assert.That(why, Is.EqualTo("etcdserver: no leader"));
    }

    [TestCase("{}")]
    [TestCase("{\"result\":[]}")]
    [TestCase("{\"result\":{\"events\":{}}}")]
    [TestCase("{\"result\":{\"events\":[{}]}}")]
    [TestCase("{\"result\":{\"events\":[{\"type\":\"UPSERT\",\"kv\":{\"mod_revision\":\"4\"}}]}}")]
    public void A_watch_message_that_says_nothing_fails(string line) =>
        Assert.Throws<FormatException>(() => EtcdReplies.WatchMessage(new EtcdRequest(7, EtcdOp.Watch), J(line), [], out _));

    static readonly EtcdRequest Sweep = new(8, EtcdOp.Sweep, Key: "/ucarp/", Prefix: true);

    /// <summary>A sweep (range over the prefix, as etcd 3.4 answers it): every key with its value, lease and revision.</summary>
    [Test]
    public void A_sweep_gives_every_key_under_the_prefix()
    {
        EtcdReply r = EtcdReplies.Sweep(Sweep, J("{" + Header + ",\"kvs\":[" +
            "{\"key\":\"L3VjYXJwLzE5Mi4wLjIuMTAw\",\"create_revision\":\"2\",\"mod_revision\":\"3\",\"version\":\"1\",\"value\":\"eA==\",\"lease\":\"7\"}," +
            "{\"key\":\"L3VjYXJwL2I=\",\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":\"1\"}],\"count\":\"2\"}"));
        Assert.That(r.Revision, Is.EqualTo(3));
        Assert.That(r.Kvs, Is.EqualTo(new[] { new EtcdKeyValue("/ucarp/192.0.2.100", "x", 7, 3, 2), new EtcdKeyValue("/ucarp/b", "", 0, 2, 2) }));
        // Nothing under the prefix: etcd leaves "kvs" out.
        Assert.That(EtcdReplies.Sweep(Sweep, J("{" + Header + "}")).Kvs, Is.Empty);
    }

    [TestCase("{\"kvs\":[]}")]                                                   // no header
    [TestCase("{" + Header + ",\"kvs\":[{\"mod_revision\":\"2\"}]}")]            // a key without its name
    [TestCase("{" + Header + ",\"kvs\":[{\"key\":\"YQ==\"}]}")]                  // ... or its revision
    [TestCase("{" + Header + ",\"kvs\":[{\"key\":\"%%%\",\"mod_revision\":\"2\"}]}")]  // not base64
    [TestCase("{" + Header + ",\"kvs\":{}}")]
    public void A_sweep_that_is_not_one_fails(string body) =>
        Assert.Throws<FormatException>(() => EtcdReplies.Sweep(Sweep, J(body)));

    static readonly EtcdRequest Batch = new(9, EtcdOp.Campaign, Lease: 7, Batch: [new(10, EtcdOp.Campaign, 7, "a", "x"), new(11, EtcdOp.Campaign, 7, "b", "y")]);

    /// <summary>A batch of campaigns: won for all, or lost with the failure branch's read of each key.</summary>
    [Test]
    public void A_batch_is_won_for_all_or_reads_every_key()
    {
        Assert.That(EtcdReplies.Batch(Batch, J("{" + Header + ",\"succeeded\":true,\"responses\":[{\"response_put\":{}},{\"response_put\":{}}]}")).Succeeded, Is.True);
        EtcdReply lost = EtcdReplies.Batch(Batch, J("{" + Header + ",\"responses\":[" +
            "{\"response_range\":{" + Header + ",\"kvs\":[{\"key\":\"YQ==\",\"mod_revision\":\"3\",\"value\":\"eg==\",\"lease\":\"8\"}],\"count\":\"1\"}}," +
            "{\"response_range\":{" + Header + "}}]}"));
        Assert.That((lost.Succeeded, lost.Kvs), Is.EqualTo((false, new[] { new EtcdKeyValue("a", "z", 8, 0) })));
        // A read missing from the failure branch, or a branch of the wrong length: unreadable.
        Assert.Throws<FormatException>(() => EtcdReplies.Batch(Batch, J("{" + Header + ",\"responses\":[{\"response_range\":{" + Header + "}}]}")));
        Assert.Throws<FormatException>(() => EtcdReplies.Batch(Batch, J("{" + Header + ",\"responses\":[{\"response_put\":{}},{\"response_range\":{" + Header + "}}]}")));
        Assert.Throws<FormatException>(() => EtcdReplies.Batch(Batch, J("{" + Header + "}")));
    }
}
