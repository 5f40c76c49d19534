using Ucarp.Core.Carp;
using static Ucarp.Simulation.Tests.Cluster;

namespace Ucarp.Simulation.Tests;

/// <summary>
/// Random clusters under random faults, one test case per seed. The seed is in the
/// test's name and in every failure message; rerun one with
/// <c>dotnet test --filter Name=Converges_seed_123</c> to replay the same run exactly.
/// </summary>
public class InvariantTests
{
    const int Seeds = 300;

    public static IEnumerable<TestCaseData> AllSeeds() =>
        Enumerable.Range(1, Seeds).Select(seed => new TestCaseData(seed).SetName($"Converges_seed_{seed:000}"));

    /// <summary>A third as many IPv6 clusters: the same protocol over other frames.</summary>
    public static IEnumerable<TestCaseData> Ipv6Seeds() =>
        Enumerable.Range(1, Seeds / 3).Select(seed => new TestCaseData(seed).SetName($"Converges6_seed_{seed:000}"));

    public static IEnumerable<TestCaseData> PreemptSeeds() =>
        Enumerable.Range(1, Seeds / 3).Select(seed => new TestCaseData(seed).SetName($"PreferredWins_seed_{seed:000}"));

    static VirtualLan RandomCluster(int seed, bool allPreempt, bool ipv6 = false)
    {
        var random = new Random(seed);
        int count = random.Next(2, 6);
        var nodes = Enumerable.Range(1, count)
            .Select(n => Node(n, advskew: (byte)random.Next(0, 4) switch { 0 => 0, 1 => 10, 2 => 100, _ => (byte)random.Next(0, 256) },
                              preempt: allPreempt || random.Next(2) == 0, ipv6: ipv6))
            .ToArray();
        VirtualLan lan = Lan(seed, nodes);
        lan.MinDelay = 50;
        lan.MaxDelay = random.Next(50, 20_000);
        return lan;
    }

    /// <summary>
    /// From the calm on, within this bound every cluster has one master: a restarted node
    /// needs deadratio x advbase + advskew/256 (under 4 s) to time out, masters that
    /// meet settle within an advert, and the 3 s demotion hold may come first.
    /// </summary>
    static readonly long ConvergenceBound = 10 * S;

    [TestCaseSource(nameof(AllSeeds))]
    public void Converges(int seed) => Converge(seed, ipv6: false);

    [TestCaseSource(nameof(Ipv6Seeds))]
    public void Converges6(int seed) => Converge(seed, ipv6: true);

    static void Converge(int seed, bool ipv6)
    {
        VirtualLan lan = RandomCluster(seed, allPreempt: false, ipv6);
        NodeFaults.Inject(lan, new Random(seed ^ 0x5eed));
        lan.RunFor(ConvergenceBound);
        Assert.That(lan.Masters.Count(), Is.EqualTo(1), lan.Dump());

        // And it stays that way: no more state changes while nothing happens.
        SimNode master = lan.Masters.Single();
        int events = lan.Nodes.Sum(n => n.Events.Count(e => e.What.StartsWith("[WARNING] Switching", StringComparison.Ordinal)));
        lan.RunFor(30 * S);
        Assert.That(lan.Masters.Single(), Is.SameAs(master), lan.Dump());
        Assert.That(lan.Nodes.Sum(n => n.Events.Count(e => e.What.StartsWith("[WARNING] Switching", StringComparison.Ordinal))),
                    Is.EqualTo(events), lan.Dump());
    }

    [TestCaseSource(nameof(PreemptSeeds))]
    public void PreferredWins(int seed)
    {
        VirtualLan lan = RandomCluster(seed, allPreempt: true);
        NodeFaults.Inject(lan, new Random(seed ^ 0x5eed));
        lan.RunFor(ConvergenceBound);
        // With -P everywhere the master advertises the shortest interval in the cluster.
        // Between equal intervals ucarp does not preempt (it needs a strictly shorter one);
        // the address only breaks ties between two masters, so any of them may hold it.
        int best = lan.Nodes.Min(Skew);
        SimNode master = lan.Masters.Single();
        Assert.That(Skew(master), Is.EqualTo(best), lan.Dump());
    }

    static byte Skew(SimNode n) => n.Settings.AdvSkew;
    static Ucarp.Core.Cli.IpAddress Source(SimNode n) => n.Settings.Source;
}
