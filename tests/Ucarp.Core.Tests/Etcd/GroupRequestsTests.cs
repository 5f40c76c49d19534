using Ucarp.Core.Etcd;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>A group's requests are numbered by its session, so that the session hands each answer back to the group.</summary>
public class GroupRequestsTests
{
    [Test]
    public void The_answer_to_a_groups_request_comes_back_to_it_with_the_lease_it_was_sent_with()
    {
        var g = new GroupFixture();
        Assert.That(g.Session.Attach(g.Member, 0), Is.True);
        int id = g.Requests.Send(new EtcdRequest(0, EtcdOp.Release, 7, g.Member.Key), 0);
        Assert.That(g.Sent.Single().Id, Is.EqualTo(id));
        Assert.That(g.SessionHost.Sent.Select(r => r.Id), Has.No.Member(id), "sent by the group's host, not the session's");
        g.Session.OnReply(new EtcdReply(id, EtcdOp.Release, true), 1);
        Assert.That(g.Member.Replies.Single(), Is.EqualTo((new EtcdReply(id, EtcdOp.Release, true), 7L)));
    }

    [Test]
    public void A_request_given_up_on_is_not_answered()
    {
        var g = new GroupFixture();
        g.Session.Attach(g.Member, 0);
        int id = g.Requests.Send(new EtcdRequest(0, EtcdOp.Refresh, 7, g.Member.Key), 0);
        g.Requests.Forget(id);
        g.Session.OnReply(new EtcdReply(id, EtcdOp.Refresh, true), 1);
        Assert.That(g.Member.Replies, Is.Empty);
    }

    [Test]
    public void After_the_scripts_it_goes_no_later_than_the_lease_could_expire()
    {
        var g = new GroupFixture();
        g.Session.Attach(g.Member, 0);
        EtcdRequest grant = g.SessionHost.Last(EtcdOp.Grant);
        g.Session.OnReply(new EtcdReply(grant.Id, EtcdOp.Grant, true, Lease: 7, Ttl: 3), 1_000);
        g.ScriptRuns();
        g.Requests.SendAfterScripts(new EtcdRequest(0, EtcdOp.Release, 7, g.Member.Key), 5_000);
        Assert.That((g.Sent.Count, g.Follower.NextDeadline), Is.EqualTo((0, (long?)2_005_000)), "TTL less a third: 2 s");
        g.Follower.ScriptEnded();
        Assert.That(g.Sent.Single().Op, Is.EqualTo(EtcdOp.Release));
    }
}
