using Ucarp.Core.Etcd;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>Deleting our key on purpose: after the downscript when asked, retried with backoff until it is gone.</summary>
public class KeyReleaseTests
{
    const long Ms = 1_000, Lease = 7;
    const string Key = "/ucarp/192.0.2.100";

    [Test]
    public void A_failed_deletion_is_retried_with_backoff_until_it_succeeds()
    {
        var g = new GroupFixture();
        var release = new KeyRelease(g.Requests, Key);
        release.Start(Lease, 0, afterScripts: false);
        EtcdRequest first = g.Sent.Single();
        Assert.That((first.Op, first.Lease, first.Key), Is.EqualTo((EtcdOp.Release, Lease, Key)));
        Assert.That(release.OnReply(new EtcdReply(first.Id + 100, EtcdOp.Release, false), 0), Is.False, "not ours");
        Assert.That(release.OnReply(new EtcdReply(first.Id, EtcdOp.Release, false, "timed out"), 10 * Ms), Is.True);
        Assert.That((release.Lease, release.RetryAt), Is.EqualTo(((long?)Lease, (long?)(210 * Ms))));
        release.OnTimer(209 * Ms);
        Assert.That(g.Sent, Has.Count.EqualTo(1));
        release.OnTimer(210 * Ms);
        EtcdRequest second = g.Sent[^1];
        Assert.That((second.Op, second.Id != first.Id), Is.EqualTo((EtcdOp.Release, true)));
        release.OnReply(new EtcdReply(second.Id, EtcdOp.Release, false, "timed out"), 300 * Ms);
        Assert.That(release.RetryAt, Is.EqualTo(700 * Ms), "the backoff doubles");
        release.OnTimer(700 * Ms);
        release.OnReply(new EtcdReply(g.Sent[^1].Id, EtcdOp.Release, true), 710 * Ms);
        Assert.That((release.Lease, release.RetryAt), Is.EqualTo(((long?)null, (long?)null)));
    }

    [Test]
    public void After_the_scripts_it_waits_for_the_downscript()
    {
        var g = new GroupFixture();
        var release = new KeyRelease(g.Requests, Key);
        g.ScriptRuns();
        release.Start(Lease, 0, afterScripts: true);
        Assert.That(g.Sent, Is.Empty);
        g.Follower.ScriptEnded();
        Assert.That(g.Sent.Single().Op, Is.EqualTo(EtcdOp.Release));
    }

    [Test]
    public void The_key_seen_gone_or_on_another_lease_needs_no_more_deleting()
    {
        var g = new GroupFixture();
        var release = new KeyRelease(g.Requests, Key);
        release.Start(Lease, 0, afterScripts: false);
        int id = g.Sent.Single().Id;
        release.KeySeen(new EtcdKeyValue(Key, "ours", Lease, 3));
        Assert.That(release.Lease, Is.EqualTo(Lease), "still on our lease");
        release.KeySeen(new EtcdKeyValue(Key, "theirs", Lease + 1, 4));
        Assert.That(release.Lease, Is.Null);
        Assert.That(release.InFlight(Lease), Is.True, "its answer is still awaited: it could delete the key won again on this lease");
        Assert.That(release.InFlight(Lease + 1), Is.False, "it cannot delete a key on another lease");
        Assert.That(release.OnReply(new EtcdReply(id, EtcdOp.Release, false), 0), Is.True);
        Assert.That((release.InFlight(Lease), release.Lease, release.RetryAt), Is.EqualTo((false, (long?)null, (long?)null)), "answered, and not retried");
        release.Start(Lease, 0, afterScripts: false);
        release.KeySeen(null);
        Assert.That(release.Lease, Is.Null);
    }
}
