using Ucarp.Core.Etcd;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>
/// Deleting our key on purpose: after the downscript when asked, retried with backoff until
/// it is gone, and only the key that was won (its create revision).
/// </summary>
public class KeyReleaseTests
{
    const long Ms = 1_000, Lease = 7;
    const string Key = "/ucarp/192.0.2.100";

    [Test]
    public void A_failed_deletion_is_retried_with_backoff_until_it_succeeds()
    {
        var g = new GroupFixture();
        var release = new KeyRelease(g.Requests, Key);
        release.Start(Lease, 0, 0, afterScripts: false);
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
        release.Start(Lease, 0, 0, afterScripts: true);
        Assert.That(g.Sent, Is.Empty);
        g.Follower.ScriptEnded();
        Assert.That(g.Sent.Single().Op, Is.EqualTo(EtcdOp.Release));
    }

    [Test]
    public void The_key_seen_gone_or_on_another_lease_needs_no_more_deleting()
    {
        var g = new GroupFixture();
        var release = new KeyRelease(g.Requests, Key);
        release.Start(Lease, 0, 0, afterScripts: false);
        int id = g.Sent.Single().Id;
        release.KeySeen(new EtcdKeyValue(Key, "ours", Lease, 3));
        Assert.That(release.Lease, Is.EqualTo(Lease), "still on our lease");
        release.KeySeen(new EtcdKeyValue(Key, "theirs", Lease + 1, 4));
        Assert.That(release.Lease, Is.Null);
        Assert.That(release.InFlight(Lease), Is.True, "its answer is still awaited: it could delete the key won again on this lease");
        Assert.That(release.InFlight(Lease + 1), Is.False, "it cannot delete a key on another lease");
        Assert.That(release.OnReply(new EtcdReply(id, EtcdOp.Release, false), 0), Is.True);
        Assert.That((release.InFlight(Lease), release.Lease, release.RetryAt), Is.EqualTo((false, (long?)null, (long?)null)), "answered, and not retried");
        release.Start(Lease, 0, 0, afterScripts: false);
        release.KeySeen(null);
        Assert.That(release.Lease, Is.Null);
    }

    [Test]
    public void A_deletion_names_the_key_it_means_and_a_key_created_again_is_not_its_concern()
    {
        var g = new GroupFixture();
        var release = new KeyRelease(g.Requests, Key);
        release.Start(Lease, 40, 0, afterScripts: false);
        EtcdRequest sent = g.Sent.Single();
        Assert.That((sent.Op, sent.Lease, sent.Revision), Is.EqualTo((EtcdOp.Release, Lease, 40L)), "etcd deletes only the key created at 40");

        var won = new EtcdKeyValue(Key, "ours", Lease, 41, 40);
        var again = new EtcdKeyValue(Key, "ours", Lease, 45, 44);   // deleted, then created again on the same lease
        Assert.That((release.WouldDelete(won), release.WouldDelete(again)), Is.EqualTo((true, false)));
        release.KeySeen(won);
        Assert.That(release.Lease, Is.EqualTo(Lease), "the key it means is still there");
        release.KeySeen(again);
        Assert.That(release.Lease, Is.Null, "the key it meant is gone");
        // Its answer is still awaited: it may yet land, on the key it names and no other.
        Assert.That((release.WouldDelete(won), release.WouldDelete(again)), Is.EqualTo((true, false)));
        Assert.That(release.InFlight(Lease), Is.False, "a campaign on this lease creates a key it cannot delete");
        release.OnReply(new EtcdReply(sent.Id, EtcdOp.Release, false, "timed out"), 10 * Ms);
        Assert.That((release.WouldDelete(won), release.RetryAt), Is.EqualTo((false, (long?)null)), "answered, and not retried");
    }

    [Test]
    public void Without_a_create_revision_a_deletion_on_its_way_holds_back_campaigns_on_its_lease()
    {
        var g = new GroupFixture();
        var release = new KeyRelease(g.Requests, Key);
        release.Start(Lease, 0, 0, afterScripts: false);
        Assert.That(g.Sent.Single().Revision, Is.Zero, "no create compare: any key on the lease");
        release.KeySeen(null);
        Assert.That((release.Lease, release.InFlight(Lease)), Is.EqualTo(((long?)null, true)));
    }
}
