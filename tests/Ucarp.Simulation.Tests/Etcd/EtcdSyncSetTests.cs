using Ucarp.Core.Carp;
using Ucarp.Core.Groups;
using static Ucarp.Simulation.Tests.Cluster;
using static Ucarp.Simulation.Tests.Etcd.EtcdElectionTests;

namespace Ucarp.Simulation.Tests.Etcd;

/// <summary>
/// Sync sets in etcd mode, with the daemon's gates and rule (ElectionGate, SyncCoordinator):
/// two nodes of three groups each, g0 and g1 in the set "fw", g2 in none; node 0 at
/// advskew 0, node 1 at advskew 100; scripts of 10 ms. Node 0 holds everything once
/// settled. What moves an address is the etcd election: resign, watch, campaign.
/// </summary>
public class EtcdSyncSetTests
{
    const long Ms = 1_000;
    static readonly string?[] Sets = ["fw", "fw", null];
    static readonly int[] Set = [0, 1];

    static EtcdSim Pair(int seed, bool preempt)
    {
        var sim = new EtcdSim(seed);
        sim.Add(Node(1, advskew: 0, preempt: preempt), groups: 3, sets: Sets);
        sim.Add(Node(2, advskew: 100, preempt: preempt), groups: 3, sets: Sets);
        StartAll(sim);
        sim.RunFor(10 * S);
        AssertHeldBy(sim, sim.Nodes[0], 0, 1, 2);
        return sim;
    }

    /// <summary>Each of these groups is MASTER on that node and no other.</summary>
    static void AssertHeldBy(EtcdSim sim, EtcdSimNode node, params int[] groups)
    {
        foreach (int g in groups)
        {
            var masters = sim.Nodes.Where(n => n.Alive && n.Groups[g].Machine.State == CarpState.Master).Select(n => n.Index);
            Assert.That(masters, Is.EqualTo(new[] { node.Index }), $"g{g}\n{sim.Dump()}");
        }
    }

    /// <summary>When the node started holding the group's address at or after the time.</summary>
    static long Took(EtcdSimNode node, int group, long after) => node.Groups[group].Held.First(h => h.From >= after).From;

    [TestCase(false)]
    [TestCase(true)]
    public void A_failing_check_on_one_member_moves_the_whole_set_and_recovery_follows_the_election(bool preempt)
    {
        EtcdSim sim = Pair(61, preempt);
        EtcdSimNode one = sim.Nodes[0], two = sim.Nodes[1];
        long failed = sim.Now;
        one.Do((e, now) => e.SetEligible(false, "check failed", now), group: 0);
        sim.RunFor(5 * S);

        AssertHeldBy(sim, two, Set);
        AssertHeldBy(sim, one, 2);
        Assert.That(one.Groups[1].Gate.EligibilityReason, Is.EqualTo("sync set fw: g0 is out of the election"));
        Assert.That(one.Groups[2].Held, Has.Count.EqualTo(1), "a group in no set is not touched");
        // Together: each resigned at once, then the watch, advskew 100 ms and a transaction.
        long[] took = [.. Set.Select(g => Took(two, g, failed) - failed)];
        Assert.That(took, Has.All.LessThan(300 * Ms), sim.Dump());
        Assert.That(Math.Abs(took[0] - took[1]), Is.LessThan(50 * Ms), sim.Dump());
        ManyKeysTests.NeverTwoHolders(sim);

        long recovered = sim.Now;
        one.Do((e, now) => e.SetEligible(true, "check passed", now), group: 0);
        sim.RunFor(10 * S);
        Assert.That(one.Groups[1].Gate.IsClosed(GateReason.Sync), Is.False);
        if (preempt)
        {
            // Node 0 is preferred and asks for each address back: the set moves back, once, as a whole.
            AssertHeldBy(sim, one, 0, 1, 2);
            foreach (int g in Set)
            {
                Assert.That(one.Groups[g].Held.Count(h => h.From >= recovered), Is.EqualTo(1), $"g{g}\n{sim.Dump()}");
                Assert.That(Took(one, g, recovered) - recovered, Is.LessThan(2 * S), $"g{g}\n{sim.Dump()}");
            }
        }
        else
        {
            // Without -P the holder keeps what it holds: nothing moves.
            AssertHeldBy(sim, two, Set);
            foreach (int g in Set)
            {
                Assert.That(sim.Nodes.Sum(n => n.Groups[g].Held.Count(h => h.From >= recovered)), Is.Zero, $"g{g}\n{sim.Dump()}");
            }
        }
        ManyKeysTests.NeverTwoHolders(sim);
    }

    [Test]
    public void A_member_that_resigns_takes_its_mates_along()
    {
        EtcdSim sim = Pair(62, preempt: false);
        EtcdSimNode one = sim.Nodes[0], two = sim.Nodes[1];
        long demoted = sim.Now;
        // SIGUSR2 on one member: it leaves MASTER while still in the election.
        one.Do((e, now) => e.Demote(now), group: 1);
        sim.RunFor(5 * S);
        AssertHeldBy(sim, two, Set);
        AssertHeldBy(sim, one, 2);
        Assert.That(Math.Abs(Took(two, 0, demoted) - Took(two, 1, demoted)), Is.LessThan(50 * Ms), sim.Dump());
        Assert.That(one.Groups[0].Events.Select(e => e.What), Does.Contain("Sync set fw: g1 left MASTER here, stepping down with it"));
        ManyKeysTests.NeverTwoHolders(sim);
    }
}
