using Ucarp.Core.Etcd;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>
/// Campaigns asked for within 2 ms of the first go together, 64 keys of one kind a
/// transaction; the transaction's answer reaches each group as the answer to its own campaign.
/// </summary>
public class CampaignBatcherTests
{
    const long Lease = 7;
    SessionHost _host = null!;
    RequestTracker _requests = null!;
    MemberRouter _members = null!;
    CampaignBatcher _batcher = null!;

    [SetUp]
    public void SetUp()
    {
        _host = new SessionHost();
        _requests = new RequestTracker(_host);
        _members = new MemberRouter();
        _batcher = new CampaignBatcher(_host, _requests, _members);
    }

    Member Join(string key)
    {
        var m = new Member(key);
        _members.Add(m);
        return m;
    }

    int Campaign(Member m, long now, EtcdOp op = EtcdOp.Campaign) => _batcher.Add(m, new EtcdRequest(0, op, Lease, m.Key, "record"), now);

    /// <summary>As the session does: the batch's request is no longer awaited, then its answer is handed over.</summary>
    bool Answer(EtcdReply reply, long now)
    {
        _requests.Take(reply.Id, out _);
        return _batcher.Answered(reply, now);
    }

    [Test]
    public void Campaigns_within_the_window_of_the_first_go_in_one_transaction()
    {
        int a = Campaign(Join("/u/a"), 10_000);
        int b = Campaign(Join("/u/b"), 11_500);
        Assert.That(_batcher.FlushAt, Is.EqualTo(12_000));
        _batcher.OnTimer(11_999);
        Assert.That(_host.Sent, Is.Empty);
        _batcher.OnTimer(12_000);
        EtcdRequest sent = _host.Sent.Single();
        Assert.That((sent.Op, sent.Lease, sent.Batch!.Select(r => r.Id)), Is.EqualTo((EtcdOp.Campaign, Lease, new[] { a, b })));
        Assert.That(_batcher.FlushAt, Is.Null);
        Campaign(Join("/u/c"), 12_500);
        Assert.That(_batcher.FlushAt, Is.EqualTo(14_500), "a new window starts with the next campaign");
    }

    [Test]
    public void Transactions_hold_64_keys_of_one_kind_at_most_and_one_alone_goes_as_it_is()
    {
        for (int i = 0; i < 130; i++)
        {
            Campaign(Join("/u/" + i), 0);
        }
        int takeBack = Campaign(Join("/u/back"), 0, EtcdOp.TakeBack);
        _batcher.OnTimer(CampaignBatcher.FlushWindow);
        Assert.That(_host.Sent.Select(r => (r.Op, r.Batch?.Count)),
                    Is.EqualTo(new (EtcdOp, int?)[] { (EtcdOp.Campaign, 64), (EtcdOp.Campaign, 64), (EtcdOp.Campaign, 2), (EtcdOp.TakeBack, null) }));
        Assert.That(_host.Sent[^1].Id, Is.EqualTo(takeBack), "alone, the group's own request");
        Assert.That(_host.Sent.Take(3).SelectMany(r => r.Batch!).Select(r => r.Key), Is.EqualTo(Enumerable.Range(0, 130).Select(i => "/u/" + i)));
    }

    [Test]
    public void A_campaign_given_up_on_before_the_flush_is_not_sent()
    {
        Campaign(Join("/u/a"), 0);
        int b = Campaign(Join("/u/b"), 0);
        _requests.Forget(b);
        _batcher.OnTimer(CampaignBatcher.FlushWindow);
        Assert.That(_host.Sent.Single().Key, Is.EqualTo("/u/a"));
    }

    [Test]
    public void A_won_transaction_answers_each_group_with_its_own_id_and_lease()
    {
        Member a = Join("/u/a"), b = Join("/u/b");
        int ia = Campaign(a, 0), ib = Campaign(b, 0);
        _batcher.OnTimer(CampaignBatcher.FlushWindow);
        int batch = _host.Sent.Single().Id;
        Assert.That(_batcher.Answered(new EtcdReply(ia, EtcdOp.Campaign, true, Succeeded: true), 0), Is.False, "not a batch's answer");
        Assert.That(Answer(new EtcdReply(batch, EtcdOp.Campaign, true, Succeeded: true, Revision: 9), 5_000), Is.True);
        // One transaction, one revision: each key was created at it.
        Assert.That(a.Replies, Is.EqualTo(new[] { (new EtcdReply(ia, EtcdOp.Campaign, true, Succeeded: true, Revision: 9, CreateRevision: 9), Lease) }));
        Assert.That(b.Replies, Is.EqualTo(new[] { (new EtcdReply(ib, EtcdOp.Campaign, true, Succeeded: true, Revision: 9, CreateRevision: 9), Lease) }));
        Assert.That(_requests.Contains(ia) || _requests.Contains(ib), Is.False, "answered");
    }

    [Test]
    public void A_lost_transaction_tells_each_group_what_its_own_key_holds()
    {
        Member a = Join("/u/a"), b = Join("/u/b");
        int ia = Campaign(a, 0, EtcdOp.TakeBack), ib = Campaign(b, 0, EtcdOp.TakeBack);
        _batcher.OnTimer(CampaignBatcher.FlushWindow);
        int batch = _host.Sent.Single().Id;
        Answer(new EtcdReply(batch, EtcdOp.TakeBack, true, Revision: 9, Kvs: [new EtcdKeyValue("/u/a", "theirs", 5, 0)]), 0);
        Assert.That(a.Replies.Single().Reply, Is.EqualTo(new EtcdReply(ia, EtcdOp.TakeBack, true, Exists: true, Value: "theirs", ValueLease: 5, Revision: 9)));
        Assert.That(b.Replies.Single().Reply, Is.EqualTo(new EtcdReply(ib, EtcdOp.TakeBack, true, Revision: 9)));
    }

    [Test]
    public void A_failed_transaction_sends_each_campaign_again_alone_and_tells_no_group()
    {
        Member a = Join("/u/a"), b = Join("/u/b"), c = Join("/u/c");
        int ia = Campaign(a, 0), ib = Campaign(b, 0);
        Campaign(c, 0);
        _batcher.OnTimer(CampaignBatcher.FlushWindow);
        int batch = _host.Sent.Single().Id;
        _requests.Forget(ib + 1);
        Answer(new EtcdReply(batch, EtcdOp.Campaign, false, "permission denied"), 0);
        Assert.That(_host.Sent.Skip(1).Select(r => (r.Id, r.Batch)), Is.EqualTo(new (int, IReadOnlyList<EtcdRequest>?)[] { (ia, null), (ib, null) }));
        Assert.That(a.Replies.Count + b.Replies.Count + c.Replies.Count, Is.Zero);
    }

    [Test]
    public void A_group_detached_meanwhile_is_not_answered()
    {
        Member a = Join("/u/a"), b = Join("/u/b");
        Campaign(a, 0);
        Campaign(b, 0);
        _batcher.OnTimer(CampaignBatcher.FlushWindow);
        _members.Remove(b);
        Answer(new EtcdReply(_host.Sent.Single().Id, EtcdOp.Campaign, true, Succeeded: true), 0);
        Assert.That((a.Replies.Count, b.Replies.Count), Is.EqualTo((1, 0)));
    }

    [Test]
    public void Clearing_drops_what_waits()
    {
        Campaign(Join("/u/a"), 0);
        _batcher.Clear();
        Assert.That(_batcher.FlushAt, Is.Null);
        _batcher.OnTimer(long.MaxValue);
        Assert.That(_host.Sent, Is.Empty);
    }
}
