using Ucarp.Core.Carp;
using Ucarp.Core.Etcd;
using Ucarp.Core.Logging;
using static Ucarp.Core.Tests.Etcd.EtcdRig;
using static Ucarp.Core.Tests.Etcd.LeaseRig;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>
/// The session's mirror of the prefix: a sweep (one read of every key) every 2 TTL, a watch
/// from the sweep's revision on, and what each is worth when the other disagrees or breaks.
/// </summary>
public class EtcdMirrorTests
{
    [Test]
    public void Start_reads_the_whole_prefix_and_then_watches_it_from_the_next_revision()
    {
        LeaseRig rig = LeaseRig.Start();
        EtcdRequest sweep = rig.Of(EtcdOp.Sweep).Single().Request;
        Assert.That((sweep.Key, sweep.Prefix), Is.EqualTo((Prefix, true)));
        Assert.That(rig.Of(EtcdOp.Watch), Is.Empty, "not before the sweep says from which revision");

        rig.Sweep(41);

        EtcdRequest watch = rig.Of(EtcdOp.Watch).Single().Request;
        Assert.That((watch.Key, watch.Prefix, watch.Revision), Is.EqualTo((Prefix, true, 42L)));
    }

    [Test]
    public void The_prefix_is_swept_every_two_ttl_and_a_sweep_that_agrees_with_the_watch_leaves_it_running()
    {
        LeaseRig rig = LeaseRig.HeldByOther();
        rig.Renewing();
        rig.RunTo(6 * S);
        rig.Sweep(9, new EtcdKeyValue(Key(), Other(0), OtherLease, 4));
        rig.RunTo(12 * S);

        Assert.That(rig.Times(EtcdOp.Sweep), Is.EqualTo(new[] { 0, 6 * S, 12 * S }));
        Assert.That(rig.Of(EtcdOp.Watch).Count(), Is.EqualTo(1));
        Assert.That(rig.Said(Messages.EtcdHeldBy("192.0.2.2", 0, "n2")), Is.EqualTo(1), "nothing new to tell");
    }

    [Test]
    public void A_sweep_that_finds_the_holder_gone_tells_the_group_and_the_watch_that_missed_it_is_replaced()
    {
        LeaseRig rig = LeaseRig.HeldByOther();
        rig.Renewing();
        rig.RunTo(6 * S);
        int quiet = rig.Last(EtcdOp.Watch).Id;

        rig.Sweep(9);  // the key is gone, and the watch never said so

        Assert.That(rig.Said(Messages.EtcdFree), Is.EqualTo(1));
        EtcdRequest watch = rig.Last(EtcdOp.Watch);
        Assert.That(watch.Id, Is.Not.EqualTo(quiet));
        Assert.That(watch.Revision, Is.EqualTo(10), "from the sweep's revision on");
        rig.RunTo(rig.Now + Flush);
        Assert.That(rig.Of(EtcdOp.Campaign).Count(), Is.EqualTo(1), "it campaigns for the free key");

        // What the old watch still brings is not listened to.
        rig.Reply(new EtcdReply(quiet, EtcdOp.Watch, true, Key: Key(), Exists: true, Value: Other(0), ValueLease: OtherLease, Revision: 11));
        Assert.That(rig.Said(Messages.EtcdHeldBy("192.0.2.2", 0, "n2")), Is.EqualTo(1));
    }

    [Test]
    public void A_sweep_that_finds_another_holder_tells_the_group()
    {
        LeaseRig rig = LeaseRig.HeldByOther();
        rig.Renewing();
        rig.RunTo(6 * S);

        rig.Sweep(9, new EtcdKeyValue(Key(), Other(30), 0x30, 8));

        Assert.That(rig.Said(Messages.EtcdHeldBy("192.0.2.2", 30, "n2")), Is.EqualTo(1));
        Assert.That(rig.Last(EtcdOp.Watch).Revision, Is.EqualTo(10), "watched afresh");
    }

    [Test]
    public void A_watch_break_leaves_the_key_unknown_so_nothing_is_campaigned_for_until_a_sweep_is_answered()
    {
        LeaseRig rig = LeaseRig.Ready(advskew: 100);
        rig.Renewing();
        rig.RunTo(50 * Ms);

        rig.WatchEnds();
        rig.RunTo(250 * Ms);
        rig.Failed(EtcdOp.Sweep);
        rig.RunTo(650 * Ms - 1);
        Assert.That(rig.Of(EtcdOp.Campaign), Is.Empty, "the campaign due at 100 ms is off: the key may be held by now");

        rig.RunTo(650 * Ms);
        // Swept again 200 ms after the break, then 400 ms after that one failed.
        Assert.That(rig.Times(EtcdOp.Sweep), Is.EqualTo(new[] { 0, 250 * Ms, 650 * Ms }));
        rig.Sweep(9);
        Assert.That(rig.Last(EtcdOp.Watch).Revision, Is.EqualTo(10));
        rig.RunTo(1 * S);
        Assert.That(rig.Times(EtcdOp.Campaign), Is.EqualTo(new[] { 750 * Ms + Flush }), "advskew 100 after the key is known free again");
    }

    // A watch restarted from an older revision brings again what the sweep has told already.
    [TestCase(7)]
    [TestCase(8)]
    public void A_watch_event_no_newer_than_what_is_known_of_the_key_is_ignored(long revision)
    {
        LeaseRig rig = LeaseRig.Start();
        rig.Grant();
        rig.Sweep(10, new EtcdKeyValue(Key(), Other(0), OtherLease, 8));

        rig.Deleted(Key(), revision);
        rig.RunTo(1 * S);
        Assert.That(rig.Said(Messages.EtcdFree), Is.Zero);
        Assert.That(rig.Of(EtcdOp.Campaign), Is.Empty);

        rig.Deleted(Key(), 11);
        rig.RunTo(rig.Now + Flush);
        Assert.That(rig.Said(Messages.EtcdFree), Is.EqualTo(1));
        Assert.That(rig.Of(EtcdOp.Campaign).Count(), Is.EqualTo(1));
    }

    [Test]
    public void A_watch_event_newer_than_the_sweep_wins_over_it()
    {
        LeaseRig rig = LeaseRig.Ready(advskew: 100);
        rig.Renewing();
        rig.Put(Key(), Other(0), OtherLease, 6);
        rig.RunTo(6 * S);
        // Served by a member that lags behind the one the watch is on: the key still free there.
        rig.Sweep(5);
        rig.RunTo(rig.Now + Flush);

        Assert.That(rig.Said(Messages.EtcdFree), Is.Zero);
        Assert.That(rig.Of(EtcdOp.Campaign), Is.Empty);
    }

    [Test]
    public void Watch_events_go_to_the_group_whose_key_they_name_and_others_are_ignored()
    {
        LeaseRig rig = LeaseRig.StartGroups(50, 50);
        rig.Grant();
        rig.Sweep(5);

        rig.Put(Key(1), Other(0), OtherLease, 6);
        rig.Put(Prefix + "192.0.2.250", Other(0), OtherLease, 7);
        rig.RunTo(50 * Ms + Flush);

        Assert.That(rig.Groups[1].Log, Does.Contain(Messages.EtcdHeldBy("192.0.2.2", 0, "n2")));
        Assert.That(rig.Groups[0].Log, Does.Not.Contain(Messages.EtcdHeldBy("192.0.2.2", 0, "n2")));
        EtcdRequest campaign = rig.Of(EtcdOp.Campaign).Single().Request;
        Assert.That(campaign.Key, Is.EqualTo(Key(0)), "only group 0's key is free");
    }

    [Test]
    public void A_p_request_event_goes_to_the_group_holding_that_address()
    {
        LeaseRig rig = LeaseRig.StartGroups(10, 10);
        rig.Renewing();
        rig.Grant();
        rig.Sweep(5);
        rig.RunTo(10 * Ms + Flush);
        rig.Won();
        Assert.That(rig.Groups.Select(g => g.Election.State), Is.All.EqualTo(CarpState.Master));

        rig.Put(PreemptKey(1), Other(0), OtherLease, 20);

        Assert.That(rig.Groups.Select(g => g.Election.State), Is.EqualTo(new[] { CarpState.Master, CarpState.Backup }));
        Assert.That(rig.Of(EtcdOp.Release).Single().Request.Key, Is.EqualTo(Key(1)));
    }

    /// <summary>
    /// A request a member refuses (RBAC on one key) was answered: etcd is within reach. Only
    /// a request no member answered says "unreachable" (and makes the sweep start again when
    /// etcd is back); a refusal must not flap the session.
    /// </summary>
    [Test]
    public void A_refusal_is_an_answer_and_only_a_failure_no_member_answered_is_out_of_reach()
    {
        LeaseRig rig = LeaseRig.HeldByOther();
        rig.Renewing();
        rig.RunTo(6 * S);
        EtcdRequest sweep = rig.Last(EtcdOp.Sweep);
        rig.Reply(new EtcdReply(sweep.Id, EtcdOp.Sweep, false, "etcdserver: permission denied", Refused: true));
        Assert.That(rig.Log.Any(l => l.StartsWith("etcd unreachable", StringComparison.Ordinal)), Is.False, string.Join("\n", rig.Log));

        rig.RunTo(12 * S);
        rig.Reply(new EtcdReply(rig.Last(EtcdOp.Sweep).Id, EtcdOp.Sweep, false, "Connection refused"));
        Assert.That(rig.Said(Messages.EtcdUnreachable("Connection refused")), Is.EqualTo(1));
    }
}
