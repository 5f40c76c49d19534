using Ucarp.Core.Carp;
using static Ucarp.Simulation.Tests.Cluster;

namespace Ucarp.Simulation.Tests;

/// <summary>The classic CARP scenarios, each on a virtual LAN.</summary>
public class ScenarioTests
{
    [Test]
    public void The_lowest_advskew_wins_the_election()
    {
        VirtualLan lan = Lan(1, Node(1, advskew: 100), Node(2, advskew: 0), Node(3, advskew: 50));
        lan.StartAll();
        lan.RunFor(10 * S);
        Assert.That(lan.Masters.Select(n => n.Index), Is.EqualTo(new[] { 1 }), lan.Dump());
        Assert.That(lan.Nodes[0].Events.Count(e => e.What.Contains("MASTER", StringComparison.Ordinal)), Is.EqualTo(0));
    }

    // The floor from the protocol's numbers, deadratio x advbase s + advskew x 10^6 / 256 µs
    // (integer division, as ucarp computes tv_usec), written out rather than computed by
    // the code under test.
    [TestCase(1, 0, 3u, 3_000_000L)]
    [TestCase(1, 100, 3u, 3_390_625L)]
    [TestCase(2, 255, 3u, 6_996_093L)]
    [TestCase(1, 10, 5u, 5_039_062L)]
    // advbase 0: deadratio x advskew/256 s (OpenBSD's rule, not ucarp's single interval).
    [TestCase(0, 200, 3u, 2_343_750L)]
    [TestCase(0, 26, 3u, 304_687L)]
    [TestCase(0, 8, 3u, 93_750L)]
    [TestCase(0, 3, 3u, 35_156L)]
    [TestCase(0, 8, 5u, 156_250L)]
    [TestCase(1, 100, 3u, 3_390_625L, true)]
    [TestCase(2, 255, 3u, 6_996_093L, true)]
    public void Failover_takes_exactly_the_protocol_floor(int advbase, int advskew, uint deadRatio, long floor, bool ipv6 = false)
    {
        // The backup's skew is what counts: it times out deadratio x advbase + advskew/256
        // after the last advert it heard (plus the one-way delay that advert took).
        // The master must be valid (advbase 0 needs a skew) and preferred (a smaller skew).
        byte masterSkew = advbase == 0 ? (byte)1 : (byte)0;
        VirtualLan lan = Lan(2, Node(1, advskew: masterSkew, advbase: (byte)advbase, deadRatio: deadRatio, ipv6: ipv6),
                                Node(2, advskew: (byte)advskew, advbase: (byte)advbase, deadRatio: deadRatio, ipv6: ipv6));
        lan.MinDelay = lan.MaxDelay = 250;
        lan.Nodes[0].Start();
        lan.RunFor(20 * S);
        lan.Nodes[1].Start();
        lan.RunFor(20 * S);
        Assert.That(lan.Masters.Single().Index, Is.EqualTo(0), lan.Dump());

        lan.Nodes[0].Kill();
        long lastAdvert = lan.Nodes[0].LastAdvertAt!.Value;
        lan.RunFor(30 * S);

        SimNode survivor = lan.Nodes[1];
        Assert.That(survivor.Machine.State, Is.EqualTo(CarpState.Master));
        long takeover = survivor.Events.First(e => e.What == "garp").Time;
        Assert.That(takeover - lastAdvert, Is.EqualTo(floor + 250));
    }

    [Test]
    public void With_preemption_the_preferred_node_takes_back_the_vip()
    {
        VirtualLan lan = Lan(3, Node(1, advskew: 0, preempt: true), Node(2, advskew: 100, preempt: true));
        lan.Nodes[1].Start();
        lan.RunFor(10 * S);
        Assert.That(lan.Masters.Single().Index, Is.EqualTo(1));
        lan.Nodes[0].Start();
        long started = lan.Now;
        lan.RunFor(10 * S);
        Assert.That(lan.Masters.Single().Index, Is.EqualTo(0), lan.Dump());
        // It preempts on the first advert it hears, well before its own timer would fire.
        long took = lan.Nodes[0].Events.First(e => e.What == "garp").Time - started;
        Assert.That(took, Is.LessThanOrEqualTo(1_390_625 + 1000), "within one of the master's intervals, 1 s + 100/256 s");
        Assert.That(lan.Nodes[0].Events.Select(e => e.What), Does.Contain("[WARNING] Putting MASTER down - preemption"));
        Assert.That(lan.Nodes[1].Events.Select(e => e.What), Does.Contain("[WARNING] Preferred master advertised: going back to BACKUP state"));
    }

    [Test]
    public void Without_preemption_the_current_master_keeps_the_vip()
    {
        VirtualLan lan = Lan(4, Node(1, advskew: 0), Node(2, advskew: 100));
        lan.Nodes[1].Start();
        lan.RunFor(10 * S);
        lan.Nodes[0].Start();
        lan.RunFor(60 * S);
        Assert.That(lan.Masters.Single().Index, Is.EqualTo(1), lan.Dump());
        Assert.That(lan.Nodes[0].Events.Any(e => e.What.Contains("MASTER", StringComparison.Ordinal)), Is.False);
    }

    [Test]
    public void After_a_partition_heals_the_lower_address_keeps_the_vip()
    {
        VirtualLan lan = Lan(5, Node(1), Node(2));
        lan.StartAll();
        lan.RunFor(10 * S);
        lan.Nodes[1].Partition = 1;
        lan.RunFor(10 * S);
        Assert.That(lan.Masters.Count(), Is.EqualTo(2), "split brain while partitioned");
        lan.Nodes[1].Partition = 0;
        lan.RunFor(5 * S);
        // Equal intervals: 192.0.2.1 is the lower address as ucarp compares it.
        Assert.That(lan.Masters.Single().Index, Is.EqualTo(0), lan.Dump());
        Assert.That(lan.Nodes[1].Machine.State, Is.EqualTo(CarpState.Backup));
    }

    [Test]
    public void With_different_passwords_both_nodes_are_master_and_warn()
    {
        VirtualLan lan = Lan(6, Node(1, password: "one"), Node(2, password: "two"));
        lan.StartAll();
        lan.RunFor(20 * S);
        Assert.That(lan.Masters.Count(), Is.EqualTo(2));
        foreach (SimNode node in lan.Nodes)
        {
            Assert.That(node.Events.Any(e => e.What.StartsWith("[WARNING] Bad digest", StringComparison.Ordinal)), Is.True);
        }
    }

    [Test]
    public void Sigusr2_hands_the_vip_to_the_backup()
    {
        VirtualLan lan = Lan(7, Node(1, advskew: 0), Node(2, advskew: 50));
        lan.Nodes[0].Start();
        lan.RunFor(5 * S);
        lan.Nodes[1].Start();
        lan.RunFor(5 * S);
        lan.Nodes[0].Demote();
        long demoted = lan.Now;
        lan.RunFor(30 * S);
        Assert.That(lan.Masters.Single().Index, Is.EqualTo(1), lan.Dump());
        long takeover = lan.Nodes[1].Events.First(e => e.What == "garp").Time - demoted;
        // The demoted master bows out: the backup takes over one LAN delay (100 µs) later,
        // not after its 3 s + 50/256 s timer.
        Assert.That(takeover, Is.EqualTo(100));
    }

    [Test]
    public void A_restarted_master_without_preemption_stays_backup()
    {
        VirtualLan lan = Lan(8, Node(1, advskew: 0), Node(2, advskew: 50));
        lan.StartAll();
        lan.RunFor(10 * S);
        lan.Nodes[0].Kill();
        lan.RunFor(10 * S);
        lan.Nodes[0].Start();
        lan.RunFor(30 * S);
        Assert.That(lan.Masters.Single().Index, Is.EqualTo(1), lan.Dump());
    }
}
