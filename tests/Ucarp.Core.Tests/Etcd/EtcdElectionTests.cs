using Ucarp.Core.Carp;
using Ucarp.Core.Etcd;
using Ucarp.Core.Logging;
using static Ucarp.Core.Tests.Etcd.EtcdRig;
using static Ucarp.Core.Tests.Etcd.LeaseRig;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>
/// The lease election of one address, driven directly with hand-written etcd answers:
/// when it campaigns, what winning and losing do, and how it gives the address up.
/// </summary>
public class EtcdElectionTests
{
    [TestCase(true)]
    [TestCase(false)]
    public void It_campaigns_advskew_ms_after_it_has_both_the_lease_and_the_key_seen_free(bool leaseFirst)
    {
        LeaseRig rig = LeaseRig.Start(advskew: 20);
        if (leaseFirst)
        {
            rig.Grant();
        }
        else
        {
            rig.Sweep(5);
        }
        rig.RunTo(300 * Ms);
        Assert.That(rig.Of(EtcdOp.Campaign), Is.Empty, "half of what a campaign needs");

        if (leaseFirst)
        {
            rig.Sweep(5);
        }
        else
        {
            rig.Grant();
        }
        rig.RunTo(1 * S);
        // 20 ms for advskew 20, then the session's window for gathering campaigns.
        Assert.That(rig.Times(EtcdOp.Campaign), Is.EqualTo(new[] { 320 * Ms + Flush }));
        EtcdRequest campaign = rig.Last(EtcdOp.Campaign);
        Assert.That((campaign.Lease, campaign.Key, campaign.Value), Is.EqualTo((Lease, Key(), Ours(20))));
    }

    [Test]
    public void A_campaign_won_makes_it_master_with_the_upscript_and_the_announcement()
    {
        LeaseRig rig = LeaseRig.Ready();
        rig.RunTo(Flush);
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup), "not before the answer");

        rig.Won();

        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));
        Assert.That(rig.Group.Scripts, Is.EqualTo(new[] { "down", "up" }), "the downscript of leaving INIT, then the upscript");
        Assert.That(rig.Group.Announcements, Is.EqualTo(1));
        Assert.That(rig.Said(Messages.SwitchingToMaster), Is.EqualTo(1));
        Assert.That(rig.Election.MasterAddress(rig.Now)?.ToString(), Is.EqualTo("192.0.2.1"));
    }

    [Test]
    public void A_campaign_lost_logs_the_holder_and_the_node_stays_backup_without_campaigning_again()
    {
        LeaseRig rig = LeaseRig.Ready();
        rig.RunTo(Flush);

        rig.Lost(Other(5), OtherLease);
        rig.Renewing();
        rig.RunTo(10 * S);

        Assert.That(rig.Said(Messages.EtcdHeldBy("192.0.2.2", 5, "n2")), Is.EqualTo(1));
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));
        Assert.That(rig.Of(EtcdOp.Campaign).Count(), Is.EqualTo(1), "the key is held");
        Assert.That(rig.Group.Scripts, Is.EqualTo(new[] { "down" }));
        Assert.That(rig.Election.MasterAddress(rig.Now)?.ToString(), Is.EqualTo("192.0.2.2"));
    }

    [Test]
    public void A_failed_campaign_is_retried_after_200_ms_doubling_up_to_5_s()
    {
        LeaseRig rig = LeaseRig.Ready();
        rig.Serve = r => r.Op switch
        {
            EtcdOp.KeepAlive => Renewal(r),
            EtcdOp.Campaign => new EtcdReply(r.Id, r.Op, false, "timed out"),
            _ => null,
        };

        rig.RunTo(20 * S);

        long[] sent = rig.Times(EtcdOp.Campaign);
        long[] waits = [.. sent.Skip(1).Zip(sent, (later, earlier) => later - earlier - Flush)];
        Assert.That(waits, Is.EqualTo(new[] { 200 * Ms, 400 * Ms, 800 * Ms, 1600 * Ms, 3200 * Ms, 5 * S, 5 * S }));
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));
    }

    [Test]
    public void Our_key_deleted_under_a_master_makes_it_backup_with_nothing_to_release()
    {
        LeaseRig rig = LeaseRig.Held();

        rig.Deleted(Key(), 20);

        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));
        Assert.That(rig.Said(Messages.EtcdKeyLost), Is.EqualTo(1));
        Assert.That(rig.Group.Scripts, Is.EqualTo(new[] { "down", "up", "down" }));
        Assert.That(rig.Of(EtcdOp.Release), Is.Empty, "the key is gone already");
    }

    [Test]
    public void Our_key_taken_over_by_another_lease_makes_a_master_backup()
    {
        LeaseRig rig = LeaseRig.Held();

        rig.Put(Key(), Other(0), OtherLease, 20);

        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));
        Assert.That(rig.Said(Messages.EtcdKeyLost), Is.EqualTo(1));
        Assert.That(rig.Said(Messages.EtcdHeldBy("192.0.2.2", 0, "n2")), Is.EqualTo(1));
    }

    [Test]
    public void The_watch_showing_our_own_put_does_not_disturb_a_master()
    {
        LeaseRig rig = LeaseRig.Held();

        rig.Put(Key(), Ours(), Lease, 7);

        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));
        Assert.That(rig.Said(Messages.EtcdKeyLost), Is.Zero);
    }

    [Test]
    public void A_campaign_whose_answer_was_lost_is_won_when_the_watch_shows_the_key_on_our_lease()
    {
        LeaseRig rig = LeaseRig.Ready();
        rig.RunTo(Flush);
        rig.Failed(EtcdOp.Campaign);
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));

        rig.Put(Key(), Ours(), Lease, 7);

        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));
    }

    // The lease is vouched for until TTL - TTL/3 (2 s) after the last answered renewal (here
    // the grant) was sent; a win answered after that is handed straight back.
    [TestCase(2 * S - 1, CarpState.Master)]
    [TestCase(2 * S, CarpState.Backup)]
    public void A_campaign_won_on_a_lease_no_longer_vouched_for_is_handed_straight_back(long answeredAt, CarpState role)
    {
        LeaseRig rig = LeaseRig.Ready();
        rig.RunTo(answeredAt);

        rig.Won();

        Assert.That(rig.Election.State, Is.EqualTo(role));
        if (role == CarpState.Backup)
        {
            SentRequest release = rig.Of(EtcdOp.Release).Single();
            Assert.That((release.Request.Lease, release.Request.Key, release.AfterScriptsBy), Is.EqualTo((Lease, Key(), (long?)null)),
                        "at once: no script ran, the address was never taken");
            Assert.That(rig.Group.Scripts, Is.EqualTo(new[] { "down" }));
            Assert.That(rig.Group.Announcements, Is.Zero);
        }
    }

    /// <summary>A release that names no create revision deletes whatever key is on the lease.</summary>
    [Test]
    public void No_campaign_goes_while_a_retried_release_of_the_key_on_this_lease_may_still_delete_it()
    {
        LeaseRig rig = LeaseRig.Held();
        rig.Renewing();
        rig.RunTo(500 * Ms);
        rig.Do((e, now) => e.SetEligible(false, "check failing", now));
        rig.Failed(EtcdOp.Release);              // timed out, but etcd did delete the key
        rig.RunTo(700 * Ms);                     // the retry goes 200 ms later, and hangs
        SentRequest retry = rig.Of(EtcdOp.Release).Last();
        Assert.That(retry.At, Is.EqualTo(700 * Ms));
        rig.Do((e, now) => e.SetEligible(true, "check passing", now));
        rig.Deleted(Key(), 20);                  // the watch shows the first deletion
        int campaigns = rig.Of(EtcdOp.Campaign).Count();

        rig.RunTo(1 * S);
        // A key won again now on this lease would be deleted by the retry still on its way.
        Assert.That(rig.Of(EtcdOp.Campaign).Count(), Is.EqualTo(campaigns), "no campaign while the retry is unanswered");

        rig.Reply(new EtcdReply(retry.Request.Id, EtcdOp.Release, true, Succeeded: false));
        rig.RunTo(1100 * Ms);
        Assert.That(rig.Of(EtcdOp.Campaign).Count(), Is.EqualTo(campaigns + 1), "once it is answered, the free key is campaigned for");
    }

    /// <summary>MASTER since its campaign won, creating the key at revision 7, and still at 500 ms.</summary>
    static LeaseRig HeldOnKeyCreatedAt7()
    {
        LeaseRig rig = LeaseRig.Ready();
        rig.Renewing();
        rig.RunTo(Flush);
        rig.Won(created: 7);
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));
        rig.RunTo(500 * Ms);
        return rig;
    }

    /// <summary>
    /// A release names the key that was won (created at 7): etcd deletes no other. A retry
    /// still on its way then holds back no campaign, and a key won again on the same lease is
    /// ours even if the retry lands after.
    /// </summary>
    [Test]
    public void A_release_on_its_way_names_the_key_it_means_and_the_key_won_again_is_held()
    {
        LeaseRig rig = HeldOnKeyCreatedAt7();
        rig.Do((e, now) => e.SetEligible(false, "check failing", now));
        Assert.That(rig.Last(EtcdOp.Release).Revision, Is.EqualTo(7), "only the key created at 7");
        rig.Failed(EtcdOp.Release);              // timed out, but etcd did delete the key
        rig.RunTo(700 * Ms);                     // the retry goes 200 ms later, and hangs
        SentRequest retry = rig.Of(EtcdOp.Release).Last();
        Assert.That((retry.At, retry.Request.Revision), Is.EqualTo((700 * Ms, 7L)));
        rig.Do((e, now) => e.SetEligible(true, "check passing", now));
        rig.Deleted(Key(), 20);                  // the watch shows the first deletion
        int campaigns = rig.Of(EtcdOp.Campaign).Count();

        rig.RunTo(700 * Ms + Flush);
        Assert.That(rig.Of(EtcdOp.Campaign).Count(), Is.EqualTo(campaigns + 1), "the retry cannot delete a key created now");
        rig.Failed(EtcdOp.Campaign);             // its answer lost; the watch shows it won
        rig.Put(Key(), Ours(), Lease, 21, created: 21);
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));

        rig.Reply(new EtcdReply(retry.Request.Id, EtcdOp.Release, true, Succeeded: false));
        Assert.That((rig.Election.State, rig.Of(EtcdOp.Release).Count()), Is.EqualTo((CarpState.Master, 2)), "the retry's answer changes nothing");
    }

    /// <summary>
    /// The key a deletion still on its way names, seen on our lease (the watch shows a late
    /// rewrite of our record): it is on its way out, not won.
    /// </summary>
    [Test]
    public void The_key_a_release_on_its_way_names_is_not_taken_for_a_lost_win()
    {
        LeaseRig rig = HeldOnKeyCreatedAt7();
        rig.Do((e, now) => e.Demote(now));
        rig.Failed(EtcdOp.Release);
        rig.RunTo(700 * Ms);                     // the retry, on its way
        rig.Put(Key(), Ours(), Lease, 9, created: 7);

        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));
        Assert.That(rig.Group.Scripts, Is.EqualTo(new[] { "down", "up", "down" }));
    }

    [Test]
    public void Sigusr2_releases_the_key_after_the_downscript_and_holds_off_for_3_s()
    {
        LeaseRig rig = LeaseRig.Held();
        rig.RunTo(500 * Ms);

        rig.Do((e, now) => e.Demote(now));

        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));
        Assert.That(rig.Group.Scripts, Is.EqualTo(new[] { "down", "up", "down" }));
        SentRequest release = rig.Of(EtcdOp.Release).Single();
        Assert.That((release.Request.Lease, release.Request.Key), Is.EqualTo((Lease, Key())));
        // Sent once the downscript has run, and no later than the lease could be fenced anyway.
        Assert.That(release.ScriptsBefore, Is.EqualTo(3), "queued behind the downscript");
        Assert.That(release.AfterScriptsBy, Is.EqualTo(500 * Ms + Ttl - Ttl / 3));
        Assert.That(rig.Election.NextDeadline, Is.EqualTo(3500 * Ms), "the end of the hold");

        rig.Answered(EtcdOp.Release);
        rig.Deleted(Key(), 20);
        Assert.That(rig.Said(Messages.EtcdFree), Is.EqualTo(1));
        rig.RunTo(3500 * Ms - 1);
        Assert.That(rig.Of(EtcdOp.Campaign).Count(), Is.EqualTo(1), "the key is free, but the hold is not over");

        rig.RunTo(4 * S);
        Assert.That(rig.Times(EtcdOp.Campaign)[1], Is.EqualTo(3500 * Ms + Flush));
    }

    [Test]
    public void Sigusr2_does_nothing_to_a_backup()
    {
        LeaseRig rig = LeaseRig.Ready(advskew: 50);
        long? before = rig.Election.NextDeadline;

        rig.Do((e, now) => e.Demote(now));
        rig.RunTo(50 * Ms + Flush);

        Assert.That(before, Is.EqualTo(50 * Ms));
        Assert.That(rig.Times(EtcdOp.Campaign), Is.EqualTo(new[] { 50 * Ms + Flush }), "no hold");
    }

    [Test]
    public void Leaving_the_election_resigns_and_no_campaign_goes_until_it_joins_again()
    {
        LeaseRig rig = LeaseRig.Held();

        rig.Do((e, now) => e.SetEligible(false, "check failing", now));

        Assert.That(rig.Said(Messages.LeavingElection("check failing")), Is.EqualTo(1));
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));
        SentRequest release = rig.Of(EtcdOp.Release).Single();
        Assert.That((release.Request.Key, release.ScriptsBefore), Is.EqualTo((Key(), 3)), "after the downscript");

        rig.Answered(EtcdOp.Release);
        rig.Deleted(Key(), 20);
        rig.RunTo(10 * S);
        Assert.That(rig.Of(EtcdOp.Campaign).Count(), Is.EqualTo(1), "out of the election");

        rig.Do((e, now) => e.SetEligible(true, "check passing", now));
        rig.RunTo(rig.Now + Flush);
        Assert.That(rig.Said(Messages.JoiningElection("check passing")), Is.EqualTo(1));
        Assert.That(rig.Times(EtcdOp.Campaign)[1], Is.EqualTo(10 * S + Flush));
    }

    [Test]
    public void The_daemon_stopping_runs_the_downscript_and_leaves_the_key_to_the_lease_revoke()
    {
        LeaseRig rig = LeaseRig.Held();
        rig.RunTo(1 * S);

        rig.StopDaemon();

        Assert.That(rig.Group.Scripts, Is.EqualTo(new[] { "down", "up", "down" }));
        Assert.That(rig.Said(Messages.ExitSignal("/etc/vip-down.sh")), Is.EqualTo(1));
        Assert.That(rig.Of(EtcdOp.Release), Is.Empty, "the revoke deletes every key of the lease at once");
        // Once every group's scripts have run, and no later than the lease could be fenced anyway.
        SentRequest revoke = rig.Of(EtcdOp.Revoke).Single();
        Assert.That((revoke.Request.Lease, revoke.AfterScriptsBy), Is.EqualTo((Lease, (long?)(1 * S + Ttl - Ttl / 3))));
    }
}
