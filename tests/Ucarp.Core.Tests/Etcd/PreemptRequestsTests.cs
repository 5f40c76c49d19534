using Ucarp.Core.Etcd;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>-P over etcd: a better candidate's request is honoured once; found again, it is stale and deleted.</summary>
public class PreemptRequestsTests
{
    const string PreemptKey = "/ucarp/192.0.2.100/preempt";
    const string Self = "192.0.2.1";

    static EtcdKeyValue Request(string holder, int advskew, long revision, long lease = 9) =>
        new(PreemptKey, new HolderRecord(holder, advskew, "h", "eth0", 10).ToJson(), lease, revision);

    [Test]
    public void A_better_candidate_is_handed_the_address_once_and_its_stale_request_is_deleted()
    {
        var g = new GroupFixture();
        var preempt = new PreemptRequests(g.Requests, PreemptKey, g);
        Assert.That(preempt.Asked(Request("192.0.2.2", 0, 5), 10, Self, 0), Is.True);
        Assert.That(g.Sent, Is.Empty);
        Assert.That(preempt.Asked(Request("192.0.2.2", 0, 5), 10, Self, 0), Is.False, "found again: stale");
        Assert.That(g.Sent.Single(), Is.EqualTo(new EtcdRequest(g.Sent[0].Id, EtcdOp.DeletePreempt, Key: PreemptKey)));
        Assert.That(g.Log, Is.EqualTo(new[] { Messages.EtcdPreemptAsked("192.0.2.2", 0), Messages.EtcdPreemptStale("192.0.2.2", 0) }));
        Assert.That(preempt.Asked(Request("192.0.2.2", 0, 6), 10, Self, 0), Is.True, "written anew: asked anew");
        preempt.Asked(null, 10, Self, 0);
        Assert.That(preempt.Asked(Request("192.0.2.2", 0, 6), 10, Self, 0), Is.True, "gone in between: a new request");
    }

    [Test]
    public void A_candidate_no_better_than_the_holder_or_the_holder_itself_is_not_obeyed()
    {
        var g = new GroupFixture();
        var preempt = new PreemptRequests(g.Requests, PreemptKey, g);
        Assert.That(preempt.Asked(Request("192.0.2.2", 10, 5), 10, Self, 0), Is.False);
        Assert.That(preempt.Asked(Request(Self, 0, 5), 10, Self, 0), Is.False);
        Assert.That(preempt.Asked(new EtcdKeyValue(PreemptKey, "not a record", 9, 5), 10, Self, 0), Is.False);
        Assert.That((g.Sent.Count, g.Log.Count), Is.EqualTo((0, 0)));
    }

    [Test]
    public void A_request_filed_is_withdrawn_once()
    {
        var g = new GroupFixture();
        var preempt = new PreemptRequests(g.Requests, PreemptKey, g);
        preempt.File(new HolderRecord("192.0.2.2", 50, "h", "eth0", 10), 7, "record", 0);
        Assert.That(preempt.Filed, Is.True);
        Assert.That(g.Sent.Single(), Is.EqualTo(new EtcdRequest(g.Sent[0].Id, EtcdOp.PutPreempt, 7, PreemptKey, "record")));
        Assert.That(g.Log, Is.EqualTo(new[] { Messages.EtcdPreempting("192.0.2.2", 50) }));
        Assert.That(preempt.Withdraw(0), Is.True);
        Assert.That(preempt.Withdraw(0), Is.False);
        Assert.That(g.Sent.Select(r => r.Op), Is.EqualTo(new[] { EtcdOp.PutPreempt, EtcdOp.DeletePreempt }));
        preempt.File(new HolderRecord("192.0.2.2", 50, "h", "eth0", 10), 7, "record", 0);
        preempt.Forget();
        Assert.That((preempt.Filed, preempt.Withdraw(0)), Is.EqualTo((false, false)), "gone with the lease: nothing to delete");
    }
}
