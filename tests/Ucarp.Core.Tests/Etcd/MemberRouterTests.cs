using Ucarp.Core.Etcd;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>What the session learns goes to the group whose key it names; a group's answers only to that group while attached.</summary>
public class MemberRouterTests
{
    [Test]
    public void A_key_goes_to_its_group_and_a_preempt_request_to_the_group_it_asks()
    {
        var router = new MemberRouter();
        var a = new Member("/u/a");
        var b = new Member("/u/b");
        Assert.That(router.Add(a) && router.Add(b), Is.True);
        var kv = new EtcdKeyValue("/u/a", "v", 5, 1);
        router.Tell("/u/a", kv, 0);
        router.Tell("/u/b/preempt", kv, 0);
        router.Tell("/u/c", kv, 0);
        router.Tell("/u/c/preempt", null, 0);
        Assert.That((a.Told, b.Told), Is.EqualTo((new List<string> { "key v@5" }, new List<string> { "preempt v@5" })));
        Assert.That(new[] { "/u/a", "/u/b/preempt", "/u/c", "/u/a/other", "/u/c/preempt" }.Select(router.Interesting),
                    Is.EqualTo(new[] { true, true, false, false, false }));
    }

    [Test]
    public void A_second_group_with_the_same_key_is_refused()
    {
        var router = new MemberRouter();
        Assert.That(router.Add(new Member("/u/a")), Is.True);
        Assert.That(router.Add(new Member("/u/a")), Is.False);
        Assert.That(router.Count, Is.EqualTo(1));
    }

    [Test]
    public void An_answer_reaches_its_group_while_attached_or_stopped_and_never_its_successor()
    {
        var router = new MemberRouter();
        var old = new Member("/u/a");
        router.Add(old);
        var reply = new EtcdReply(1, EtcdOp.Release, true);
        router.Deliver(old, reply, 7, 0);
        Assert.That(old.Replies, Is.EqualTo(new[] { (reply, 7L) }));
        Assert.That(router.Remove(old), Is.True);
        router.Deliver(old, reply, 7, 0);
        Assert.That(old.Replies, Has.Count.EqualTo(1), "removed by a reload: nothing more for it");
        var successor = new Member("/u/a");
        router.Add(successor);
        old.Stopped = true;
        router.Deliver(old, reply, 7, 0);
        Assert.That((old.Replies.Count, successor.Replies.Count), Is.EqualTo((2, 0)), "a stopped group still hears of its release");
    }
}
