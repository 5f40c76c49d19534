using Ucarp.Core.Carp;
using Ucarp.Core.Vrrp;
using static Ucarp.Simulation.Tests.Cluster;

namespace Ucarp.Simulation.Tests;

/// <summary>
/// VRRP clusters (random versions, priorities, intervals, preemption) under the same
/// random faults as CARP's, each node the production <see cref="VrrpMachine"/> and its
/// follower: once calm, one master, the one RFC 5798 prefers, and nothing moves after.
/// </summary>
public class VrrpInvariantTests
{
    const int Seeds = 150;

    public static IEnumerable<TestCaseData> AllSeeds() =>
        Enumerable.Range(1, Seeds).Select(seed => new TestCaseData(seed).SetName($"VrrpConverges_seed_{seed:000}"));

    /// <summary>2 to 5 nodes of one version; priorities random (ties happen, an owner sometimes).</summary>
    static VirtualLan RandomCluster(int seed, bool allPreempt)
    {
        var random = new Random(seed);
        byte version = (byte)(random.Next(2) == 0 ? 2 : 3);
        ushort centis = version == 2 ? (ushort)100 : (ushort)(random.Next(2) == 0 ? 100 : random.Next(10, 200));
        bool ipv6 = version == 3 && random.Next(4) == 0;
        var lan = new VirtualLan(seed) { MinDelay = 50, MaxDelay = random.Next(50, 20_000) };
        int count = random.Next(2, 6);
        for (int n = 1; n <= count; n++)
        {
            byte priority = random.Next(8) switch { 0 => 255, 1 => 100, _ => (byte)random.Next(1, 255) };
            lan.Add(Node(n, ipv6: ipv6) with { Password = [] }, new VrrpSettings
            {
                Version = version,
                Priority = priority,
                IntervalCentis = centis,
                Preempt = allPreempt || random.Next(2) == 0,
            });
        }
        return lan;
    }

    /// <summary>A restarted node waits 3 intervals + skew (under 8 s at 2 s), a demoted one 3 s more.</summary>
    static readonly long ConvergenceBound = 15 * S;

    static int Switches(VirtualLan lan) =>
        lan.Nodes.Sum(n => n.Events.Count(e => e.What.StartsWith("[WARNING] Switching", StringComparison.Ordinal)));

    [TestCaseSource(nameof(AllSeeds))]
    public void VrrpConverges(int seed)
    {
        VirtualLan lan = RandomCluster(seed, allPreempt: seed % 2 == 0);
        NodeFaults.Inject(lan, new Random(seed ^ 0x5eed), stops: true);
        lan.RunFor(ConvergenceBound);
        Assert.That(lan.Masters.Count(), Is.EqualTo(1), lan.Dump());
        SimNode master = lan.Masters.Single();
        if (lan.Nodes.All(n => n.Vrrp!.Preempt))
        {
            // Everyone preempts: the highest priority wins. Between equals a backup never
            // preempts (RFC 5798 6.4.2: only a lower priority is discarded), so any of them may hold it.
            Assert.That(master.Vrrp!.Priority, Is.EqualTo(lan.Nodes.Max(n => n.Vrrp!.Priority)), lan.Dump());
        }
        int switches = Switches(lan);
        lan.RunFor(30 * S);
        Assert.That(lan.Masters.Single(), Is.SameAs(master), lan.Dump());
        Assert.That(Switches(lan), Is.EqualTo(switches), lan.Dump());
    }
}
