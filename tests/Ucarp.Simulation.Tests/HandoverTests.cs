using Ucarp.Core.Carp;
using static Ucarp.Simulation.Tests.Cluster;

namespace Ucarp.Simulation.Tests;

/// <summary>
/// Planned handover (the bow-out advert) and health checks taking a node out of the
/// election, on the virtual LAN. Expected times are written from the protocol's numbers:
/// a one-way delay of 100 µs, advbase 1 s, deadratio 3.
/// </summary>
public class HandoverTests
{
    const long Delay = 100;                     // the virtual LAN's one-way delay, µs
    const long BackupFloor = 3_390_625;         // 3 x 1 s + 100/256 s: node 2's master-down interval
    const long MasterDownOfNode1 = 3_000_000;   // 3 x 1 s + 0/256 s: the bow-out's latest departure

    static VirtualLan SettledPair(int seed, bool bowOut = true, bool preempt = false)
    {
        VirtualLan lan = Lan(seed, Node(1, advskew: 0, preempt: preempt) with { BowOut = bowOut },
                                   Node(2, advskew: 100, preempt: preempt) with { BowOut = bowOut });
        lan.StartAll();
        lan.RunFor(10 * S);
        Assert.That(lan.Masters.Single().Index, Is.EqualTo(0), lan.Dump());
        return lan;
    }

    static long BecameMaster(SimNode node, long after) =>
        node.Events.First(e => e.Time >= after && e.What == "[WARNING] Switching to state: MASTER").Time;

    [Test]
    public void A_master_stopped_with_z_hands_over_in_one_frame_delay()
    {
        VirtualLan lan = SettledPair(11);
        long stop = lan.Now;
        lan.Nodes[0].Stop();
        lan.RunFor(10 * S);

        Assert.That(lan.Nodes[0].BowOutsSent, Is.EqualTo(new[] { stop }), "no script time: the bow-out goes at once");
        Assert.That(BecameMaster(lan.Nodes[1], stop) - stop, Is.EqualTo(Delay), lan.Dump());
        Assert.That(lan.Nodes[1].Events.Select(e => e.What), Does.Contain("[WARNING] Putting MASTER DOWN (going to time out)"));
    }

    [Test]
    public void The_bow_out_waits_for_the_downscript()
    {
        VirtualLan lan = SettledPair(12);
        lan.Nodes[0].ScriptDuration = 400_000;
        long stop = lan.Now;
        lan.Nodes[0].Stop();
        lan.RunFor(10 * S);

        // The downscript releases the address first; only then may the backup claim it.
        Assert.That(lan.Nodes[0].BowOutsSent, Is.EqualTo(new[] { stop + 400_000 }));
        Assert.That(BecameMaster(lan.Nodes[1], stop) - stop, Is.EqualTo(400_000 + Delay), lan.Dump());
    }

    [Test]
    public void A_hanging_downscript_holds_the_bow_out_no_longer_than_the_master_down_interval()
    {
        VirtualLan lan = SettledPair(13);
        lan.Nodes[0].ScriptDuration = 60 * S;
        long stop = lan.Now;
        lan.Nodes[0].Stop();
        lan.RunFor(10 * S);

        Assert.That(lan.Nodes[0].BowOutsSent, Is.EqualTo(new[] { stop + MasterDownOfNode1 }));
        // The backup takes over by the bow-out or by its own timer, whichever comes first.
        long lastAdvert = lan.Nodes[0].LastAdvertAt!.Value;
        long expected = Math.Min(stop + MasterDownOfNode1, lastAdvert + BackupFloor) + Delay;
        Assert.That(BecameMaster(lan.Nodes[1], stop), Is.EqualTo(expected), lan.Dump());
    }

    [Test]
    public void Without_bow_out_the_backup_waits_out_its_timer_as_with_ucarp()
    {
        VirtualLan lan = SettledPair(14, bowOut: false);
        long stop = lan.Now;
        long lastAdvert = lan.Nodes[0].LastAdvertAt!.Value;
        lan.Nodes[0].Stop();
        lan.RunFor(10 * S);

        Assert.That(lan.Nodes[0].BowOutsSent, Is.Empty);
        Assert.That(lan.Nodes[0].Events.Select(e => e.What), Has.None.StartsWith("[INFO] Bowing out"));
        Assert.That(BecameMaster(lan.Nodes[1], stop), Is.EqualTo(lastAdvert + Delay + BackupFloor), lan.Dump());
    }

    [Test]
    public void A_demoted_master_bows_out_and_the_backup_keeps_the_address()
    {
        VirtualLan lan = SettledPair(15);
        long demote = lan.Now;
        lan.Nodes[0].Demote();
        lan.RunFor(30 * S);

        Assert.That(BecameMaster(lan.Nodes[1], demote) - demote, Is.EqualTo(Delay), lan.Dump());
        // Without -P the demoted node stays BACKUP after its hold: the new master keeps the address.
        Assert.That(lan.Masters.Single().Index, Is.EqualTo(1), lan.Dump());
    }

    [Test]
    public void A_backup_stopped_with_z_sends_no_bow_out()
    {
        VirtualLan lan = SettledPair(16);
        lan.Nodes[1].Stop();
        lan.RunFor(10 * S);
        Assert.That(lan.Nodes[1].BowOutsSent, Is.Empty);
        Assert.That(lan.Masters.Single().Index, Is.EqualTo(0));
    }

    [TestCase(21)]
    [TestCase(22)]
    [TestCase(23)]
    public void With_several_backups_the_lan_settles_on_the_preferred_one_within_one_advert_interval(int seed)
    {
        VirtualLan lan = Lan(seed, Node(1, advskew: 0), Node(2, advskew: 50), Node(3, advskew: 100));
        lan.MinDelay = 50;
        lan.MaxDelay = 2_000;
        lan.StartAll();
        lan.RunFor(10 * S);
        Assert.That(lan.Masters.Single().Index, Is.EqualTo(0), lan.Dump());

        long stop = lan.Now;
        lan.Nodes[0].Stop();
        // Both backups take the bow-out for a dead master; the usual rules settle it: the
        // less preferred master steps down on the other's first advert.
        lan.RunFor(1_195_312 + 2 * lan.MaxDelay); // one interval of the preferred backup: 1 s + 50/256 s
        Assert.That(lan.Masters.Select(n => n.Index), Is.EqualTo(new[] { 1 }), lan.Dump());
        Assert.That(lan.Nodes[1].Events.First(e => e.Time > stop && e.What.Contains("MASTER", StringComparison.Ordinal)).Time - stop,
                    Is.LessThanOrEqualTo(lan.MaxDelay));
        lan.RunFor(30 * S);
        Assert.That(lan.Masters.Select(n => n.Index), Is.EqualTo(new[] { 1 }), lan.Dump());
    }

    [Test]
    public void A_node_out_of_the_election_gives_up_the_address_and_never_takes_it_even_alone()
    {
        VirtualLan lan = SettledPair(31);
        long fail = lan.Now;
        lan.Nodes[0].SetEligible(false);
        lan.RunFor(S);
        Assert.That(BecameMaster(lan.Nodes[1], fail) - fail, Is.EqualTo(Delay), lan.Dump());
        Assert.That(lan.Nodes[0].Events.Select(e => e.What), Does.Contain("script Down"));

        lan.Nodes[1].Kill();
        lan.RunFor(60 * S);
        Assert.That(lan.Nodes[0].Machine.State, Is.EqualTo(CarpState.Backup), lan.Dump());
        Assert.That(lan.Nodes[0].Events.Count(e => e.Time > fail && e.What.Contains("MASTER", StringComparison.Ordinal)), Is.Zero);
    }

    [Test]
    public void Back_in_the_election_a_preferred_node_with_P_takes_the_address_back()
    {
        VirtualLan lan = SettledPair(32, preempt: true);
        lan.Nodes[0].SetEligible(false);
        lan.RunFor(10 * S);
        Assert.That(lan.Masters.Single().Index, Is.EqualTo(1), lan.Dump());

        long back = lan.Now;
        lan.Nodes[0].SetEligible(true);
        lan.RunFor(10 * S);
        Assert.That(lan.Masters.Single().Index, Is.EqualTo(0), lan.Dump());
        // As at start-up with -P: it preempts on the first advert it hears from the slower master.
        long took = BecameMaster(lan.Nodes[0], back) - back;
        Assert.That(took, Is.LessThanOrEqualTo(1_390_625 + Delay), lan.Dump());
    }

    [Test]
    public void Back_in_the_election_alone_it_becomes_master_after_the_master_down_interval()
    {
        VirtualLan lan = Lan(33, Node(1, advskew: 0));
        lan.StartAll();
        lan.Nodes[0].SetEligible(false); // at time 0, as the daemon does before its first check passes
        lan.RunFor(60 * S);
        Assert.That(lan.Nodes[0].Machine.State, Is.EqualTo(CarpState.Backup), "out of the election from the start");

        long back = lan.Now;
        lan.Nodes[0].SetEligible(true);
        lan.RunFor(10 * S);
        Assert.That(BecameMaster(lan.Nodes[0], back) - back, Is.EqualTo(MasterDownOfNode1), lan.Dump());
    }
}
