using Ucarp.Core.Etcd;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>One numbering for every request of a session, and what is remembered of each until it is answered.</summary>
public class RequestTrackerTests
{
    [Test]
    public void Requests_are_numbered_in_order_and_remembered_with_their_kind_time_lease_and_owner()
    {
        var host = new SessionHost();
        var tracker = new RequestTracker(host);
        var member = new Member("/u/a");
        EtcdRequest first = tracker.Track(new EtcdRequest(0, EtcdOp.Campaign, 7, "/u/a", "v"), 100, member);
        int second = tracker.Send(new EtcdRequest(0, EtcdOp.Grant, Ttl: 3), 200);
        Assert.That((first.Id, first.Key, first.Value, second), Is.EqualTo((1, "/u/a", "v", 2)));
        Assert.That(host.Sent.Select(r => (r.Id, r.Op)), Is.EqualTo(new[] { (2, EtcdOp.Grant) }), "only Send sends");
        Assert.That(tracker.TryGet(1, out PendingRequest p) && p == new PendingRequest(EtcdOp.Campaign, 100, 7, member));
        Assert.That(tracker.Take(1, out _) && !tracker.Contains(1) && !tracker.Take(1, out _));
    }

    [Test]
    public void Renewals_outstanding_are_counted_per_lease()
    {
        var tracker = new RequestTracker(new SessionHost());
        tracker.Send(new EtcdRequest(0, EtcdOp.KeepAlive, 7), 0);
        tracker.Send(new EtcdRequest(0, EtcdOp.KeepAlive, 7), 0);
        tracker.Send(new EtcdRequest(0, EtcdOp.KeepAlive, 8), 0);
        tracker.Send(new EtcdRequest(0, EtcdOp.Revoke, 7), 0);
        Assert.That((tracker.Outstanding(EtcdOp.KeepAlive, 7), tracker.Outstanding(EtcdOp.KeepAlive, 8)), Is.EqualTo((2, 1)));
    }

    [Test]
    public void Giving_up_on_the_sessions_own_requests_leaves_the_groups_and_other_kinds()
    {
        var tracker = new RequestTracker(new SessionHost());
        int own = tracker.Send(new EtcdRequest(0, EtcdOp.Sweep), 0);
        int groups = tracker.Track(new EtcdRequest(0, EtcdOp.Sweep), 0, new Member("/u/a")).Id;
        int grant = tracker.Send(new EtcdRequest(0, EtcdOp.Grant), 0);
        Assert.That(tracker.ForgetOwn(EtcdOp.Sweep), Is.True);
        Assert.That((tracker.Contains(own), tracker.Contains(groups), tracker.Contains(grant)), Is.EqualTo((false, true, true)));
        Assert.That(tracker.ForgetOwn(EtcdOp.Sweep), Is.False, "nothing left to give up on");
    }
}
