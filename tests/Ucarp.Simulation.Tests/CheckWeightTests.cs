using Ucarp.Core.Carp;
using static Ucarp.Simulation.Tests.Cluster;

namespace Ucarp.Simulation.Tests;

/// <summary>
/// --check-weight on the virtual LAN: three nodes at advskew 0, 10 and 20, each with a
/// weight of 100 while its check fails. A failing node is less preferred, never out:
/// the healthiest node holds the address, and when all fail the least bad one does.
/// </summary>
public class CheckWeightTests
{
    const byte Weight = 100;

    static VirtualLan Settled(int seed, bool preempt)
    {
        VirtualLan lan = Lan(seed, Node(1, advskew: 0, preempt: preempt), Node(2, advskew: 10, preempt: preempt),
                                   Node(3, advskew: 20, preempt: preempt));
        lan.StartAll();
        lan.RunFor(10 * S);
        Assert.That(lan.Masters.Select(n => n.Index), Is.EqualTo(new[] { 0 }), lan.Dump());
        return lan;
    }

    static int[] Masters(VirtualLan lan) => [.. lan.Masters.Select(n => n.Index)];

    /// <summary>Runs for <paramref name="duration"/>, checking every 10 ms that some node holds the address.</summary>
    static void RunAlwaysHeld(VirtualLan lan, long duration)
    {
        long end = lan.Now + duration;
        while (lan.Now < end)
        {
            lan.RunFor(10_000);
            Assert.That(lan.Masters, Is.Not.Empty, $"no master at {lan.Now}\n{lan.Dump()}");
        }
    }

    [Test]
    public void A_failing_master_hands_the_address_to_a_healthy_P_node()
    {
        VirtualLan lan = Settled(41, preempt: true);
        lan.Nodes[0].SetCheckWeight(Weight);
        // At once: the degraded master advertises 100 now, node 2 (10) preempts on it.
        lan.RunFor(2 * lan.MaxDelay + 1);
        Assert.That(Masters(lan), Is.EqualTo(new[] { 1 }), lan.Dump());
        RunAlwaysHeld(lan, 30 * S);
        Assert.That(Masters(lan), Is.EqualTo(new[] { 1 }), lan.Dump());
        Assert.That(lan.Nodes[0].Machine.State, Is.EqualTo(CarpState.Backup));
    }

    [Test]
    public void Without_P_a_failing_master_keeps_the_address_advertising_the_higher_advskew()
    {
        VirtualLan lan = Settled(42, preempt: false);
        lan.Nodes[0].SetCheckWeight(Weight);
        // Nobody preempts without -P, as in CARP; 30 s is thirty advert intervals, while a
        // move would take one.
        RunAlwaysHeld(lan, 30 * S);
        Assert.That(Masters(lan), Is.EqualTo(new[] { 0 }), lan.Dump());
        Assert.That(lan.Nodes[0].LastAdvertSkew, Is.EqualTo(100), "the weight is on the wire");
        Assert.That(lan.Nodes[1].Events.Count(e => e.What.Contains("MASTER", StringComparison.Ordinal)), Is.Zero);
    }

    [Test]
    public void When_every_node_fails_the_least_bad_one_holds_the_address()
    {
        VirtualLan lan = Settled(43, preempt: true);
        // One by one, the master first: the address moves down the line, then back to the least bad.
        foreach (int i in new[] { 0, 1, 2 })
        {
            lan.Nodes[i].SetCheckWeight(Weight);
            RunAlwaysHeld(lan, 5 * S);
        }
        RunAlwaysHeld(lan, 30 * S);
        Assert.That(Masters(lan), Is.EqualTo(new[] { 0 }), "all degraded: 100 < 110 < 120\n" + lan.Dump());
        Assert.That(lan.Nodes[0].LastAdvertSkew, Is.EqualTo(100), "the weight is on the wire");

        // The least bad one dies: the next least bad takes over on its master-down timer (3 s + 110/256 s).
        long killed = lan.Now;
        lan.Nodes[0].Kill();
        RunAlwaysHeldAfter(lan, 3_430_000 + 2 * lan.MaxDelay, 30 * S);
        Assert.That(Masters(lan), Is.EqualTo(new[] { 1 }), lan.Dump());
        long took = lan.Nodes[1].Events.First(e => e.Time > killed && e.What == "[WARNING] Switching to state: MASTER").Time - killed;
        Assert.That(took, Is.InRange(3_429_687 - 1_390_625, 3_429_687 + lan.MaxDelay), "node 2's master-down interval at advskew 110, less the time since node 1's last advert");
    }

    [Test]
    public void When_every_node_fails_without_P_the_address_stays_where_it_is()
    {
        VirtualLan lan = Settled(44, preempt: false);
        foreach (SimNode n in lan.Nodes)
        {
            n.SetCheckWeight(Weight);
        }
        RunAlwaysHeld(lan, 30 * S);
        Assert.That(Masters(lan), Is.EqualTo(new[] { 0 }), lan.Dump());
    }

    [Test]
    public void After_recovery_the_preferred_P_node_takes_the_address_back()
    {
        VirtualLan lan = Settled(45, preempt: true);
        lan.Nodes[0].SetCheckWeight(Weight);
        RunAlwaysHeld(lan, 10 * S);
        Assert.That(Masters(lan), Is.EqualTo(new[] { 1 }), lan.Dump());

        long back = lan.Now;
        lan.Nodes[0].SetCheckWeight(0);
        // It preempts on the next advert it hears from node 2: within one of node 2's intervals.
        RunAlwaysHeld(lan, 1_039_062 + 2 * lan.MaxDelay);
        Assert.That(Masters(lan), Is.EqualTo(new[] { 0 }), lan.Dump());
        RunAlwaysHeld(lan, 30 * S);
        Assert.That(Masters(lan), Is.EqualTo(new[] { 0 }), lan.Dump());
        Assert.That(lan.Nodes[0].Events.Count(e => e.Time >= back && e.What == "[WARNING] Putting MASTER down - preemption"), Is.EqualTo(1));
    }

    /// <summary>Runs <paramref name="grace"/> (a takeover's time) unchecked, then <paramref name="duration"/> checked.</summary>
    static void RunAlwaysHeldAfter(VirtualLan lan, long grace, long duration)
    {
        lan.RunFor(grace);
        RunAlwaysHeld(lan, duration);
    }
}
