using Ucarp.Core.Carp;
using Ucarp.Core.Etcd;
using Ucarp.Core.Logging;
using static Ucarp.Core.Tests.Etcd.EtcdRig;
using static Ucarp.Core.Tests.Etcd.FollowRig;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>
/// Follow mode (--follow-key) driven directly: MASTER exactly while the key, freshly read,
/// holds this node's value; a read every TTL/3; stale after TTL without a successful one.
/// </summary>
public class FollowElectionUnitTests
{
    [Test]
    public void It_is_master_exactly_while_the_key_holds_its_value()
    {
        FollowRig rig = FollowRig.Start();
        Assert.That(rig.Last(EtcdOp.Get).Key, Is.EqualTo(Key));

        rig.Read("pg2", 5);
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));
        Assert.That(rig.Said(Messages.FollowKeyHolds(Key, "pg2")), Is.EqualTo(1));
        EtcdRequest watch = rig.Of(EtcdOp.Watch).Single().Request;
        Assert.That((watch.Key, watch.Revision), Is.EqualTo((Key, 6L)), "watched from the read on");

        rig.Event(Me, 6);
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));
        Assert.That(rig.Group.Announcements, Is.EqualTo(1));

        rig.Event("pg10", 7);  // compared exactly: not a prefix match
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));

        rig.Event(null, 8);
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));
        Assert.That(rig.Said(Messages.FollowKeyMissing(Key)), Is.EqualTo(1));

        rig.Event(Me, 9);
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));
        Assert.That(rig.Group.Scripts, Is.EqualTo(new[] { "down", "up", "down", "up" }));
        Assert.That(rig.Of(EtcdOp.Watch).Count(), Is.EqualTo(1));
        Assert.That(rig.Sent.Select(s => s.Request.Op), Is.All.AnyOf(EtcdOp.Get, EtcdOp.Watch), "follow mode never writes");
    }

    [Test]
    public void The_key_is_read_every_third_of_the_ttl()
    {
        FollowRig rig = FollowRig.Leading();

        rig.RunTo(3500 * Ms);

        Assert.That(rig.Times(EtcdOp.Get), Is.EqualTo(new[] { 0, 1 * S, 2 * S, 3 * S }));
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));
    }

    [Test]
    public void With_no_read_answered_for_ttl_it_releases_the_address_until_one_is()
    {
        FollowRig rig = FollowRig.Start();
        rig.Read(Me, 5);  // sent at 0

        rig.RunTo(Ttl - 1);
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));
        rig.RunTo(Ttl);
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));
        Assert.That(rig.Said(Messages.FollowUnreadable(Key, 3.0, holding: true)), Is.EqualTo(1));

        // Counted from when a read was sent: the one sent at 1 s, answered at 4.5 s, is too old.
        rig.RunTo(4500 * Ms);
        EtcdRequest[] reads = [.. rig.Of(EtcdOp.Get).Select(s => s.Request)];
        Assert.That(rig.Times(EtcdOp.Get), Is.EqualTo(new[] { 0, 1 * S, 2 * S, 3 * S, 4 * S }));
        rig.Read(Me, 5, reads[1].Id);
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));
        Assert.That(rig.Said(Messages.FollowReadable(Key)), Is.Zero);

        rig.Read(Me, 5, reads[4].Id);
        Assert.That(rig.Said(Messages.FollowReadable(Key)), Is.EqualTo(1));
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));
    }

    [Test]
    public void Failing_reads_are_retried_every_300_ms_while_they_fail()
    {
        FollowRig rig = FollowRig.Start();
        rig.Read(Me, 5);
        rig.Serve = r => r.Op == EtcdOp.Get ? new EtcdReply(r.Id, EtcdOp.Get, false, "connection refused") : null;

        rig.RunTo(Ttl - 1);

        // The read at 1 s fails: the next goes 300 ms after it, not at the periodic 2 s; then every 300 ms.
        Assert.That(rig.Times(EtcdOp.Get), Is.EqualTo(new[] { 0, 1 * S, 1300 * Ms, 1600 * Ms, 1900 * Ms, 2200 * Ms, 2500 * Ms, 2800 * Ms }));
        Assert.That(rig.Said(Messages.FollowReadFailed(Key, "connection refused")), Is.EqualTo(1), "said once");
    }

    [Test]
    public void A_broken_watch_is_started_again_after_a_read_200_ms_later_doubling()
    {
        FollowRig rig = FollowRig.Leading();
        rig.RunTo(100 * Ms);

        foreach (long at in new[] { 100 * Ms, 300 * Ms, 700 * Ms })
        {
            rig.RunTo(at);
            rig.WatchEnds();
        }
        rig.RunTo(1600 * Ms);

        Assert.That(rig.Times(EtcdOp.Watch), Is.EqualTo(new[] { 0, 300 * Ms, 700 * Ms, 1500 * Ms }));
        Assert.That(rig.Of(EtcdOp.Watch).Select(s => s.Request.Revision), Is.All.EqualTo(6));
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master), "the reads say the key still names us");
    }

    [Test]
    public void A_read_answer_older_than_what_the_watch_said_is_ignored()
    {
        FollowRig rig = FollowRig.Start();
        rig.Read(Me, 5);
        rig.Event("pg2", 9);
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));

        rig.RunTo(1 * S);
        rig.Read(Me, 8);

        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));
        Assert.That(rig.Said(Messages.FollowKeyHolds(Key, Me)), Is.EqualTo(1), "only the first read");
        Assert.That(rig.Of(EtcdOp.Watch).Count(), Is.EqualTo(1));
    }

    [Test]
    public void A_read_showing_a_change_the_watch_did_not_bring_is_taken_and_the_watch_started_afresh()
    {
        FollowRig rig = FollowRig.Start();
        rig.Read("pg2", 5);

        rig.RunTo(1 * S);
        rig.Read(Me, 9);

        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));
        Assert.That(rig.Of(EtcdOp.Watch).Select(s => s.Request.Revision), Is.EqualTo(new[] { 6L, 10L }));
    }

    [Test]
    public void Sigusr2_gives_the_address_up_for_3_s()
    {
        FollowRig rig = FollowRig.Leading();
        rig.RunTo(500 * Ms);

        rig.Do((e, now) => e.Demote(now));
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));
        Assert.That(rig.Group.Scripts, Is.EqualTo(new[] { "down", "up", "down" }));

        rig.RunTo(3500 * Ms - 1);
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup), "the key still names us, but the hold is not over");
        rig.RunTo(3500 * Ms);
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));
        Assert.That(rig.Group.Announcements, Is.EqualTo(2));
    }

    [Test]
    public void Out_of_the_election_it_does_not_hold_the_address_even_when_named()
    {
        FollowRig rig = FollowRig.Leading();

        rig.Do((e, now) => e.SetEligible(false, "check failing", now));
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));
        Assert.That(rig.Said(Messages.LeavingElection("check failing")), Is.EqualTo(1));

        rig.Do((e, now) => e.SetEligible(true, "check passing", now));
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));
    }
}
