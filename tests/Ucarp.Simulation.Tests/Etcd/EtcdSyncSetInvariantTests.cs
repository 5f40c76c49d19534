using Ucarp.Core.Carp;
using Ucarp.Core.Groups;
using static Ucarp.Simulation.Tests.Cluster;

namespace Ucarp.Simulation.Tests.Etcd;

/// <summary>
/// Two or three etcd nodes of the same groups in random sync sets, under random faults
/// (delays beyond the request timeout, nodes cut off from etcd, killed and restarted,
/// failing checks, ucarpctl demote, SIGUSR2), one test case per seed. Never two holders of
/// one address; after every event, the sync-set rule stands on every node; once calm, one
/// holder per address, and it stays so. Replay one with <c>dotnet test --filter Name=EtcdSetsSettle_seed_123</c>.
/// </summary>
public class EtcdSyncSetInvariantTests
{
    const int Seeds = 200;
    const long Ms = 1_000;

    public static IEnumerable<TestCaseData> AllSeeds() =>
        Enumerable.Range(1, Seeds).Select(seed => new TestCaseData(seed).SetName($"EtcdSetsSettle_seed_{seed:000}"));

    [TestCaseSource(nameof(AllSeeds))]
    public void EtcdSetsSettle(int seed) => Run(seed);

    /// <summary>
    /// Seed 188, kept as a regression: it ended split before the joining rule. Node 0 wins
    /// g3 while its mate g1 is BACKUP (in the election, its campaigns lost to timeouts); at
    /// the calm node 1 wins g1; nobody leaves MASTER.
    /// </summary>
    [Test]
    public void EtcdSetsSettle_sets_whole_seed_188() => Run(188);

    /// <summary>
    /// Seed 519, kept as a regression: it found two holders of one address for about 0.4 s.
    /// Node 2's release of g0 timed out and was retried; the original deleted the key; the
    /// watch showed it gone and the election forgot the retry still in flight; node 2 won the
    /// key again on the same lease; the retry then reached etcd and deleted that key (a
    /// release compares the lease only), while node 0 campaigned and won. Now no campaign
    /// goes while a release on the lease is unanswered (KeyRelease.InFlight; the unit test
    /// EtcdElectionTests.No_campaign_goes_while_a_retried_release... pins it, since other
    /// fixes have changed this seed's course since).
    /// </summary>
    [Test]
    public void EtcdSetsSettle_seed_519() => Run(519);

    /// <summary>
    /// Seeds beyond the 200 run every time, each of which failed once (2026-12-05, 10 to 150
    /// times the seeds): 965 and 1323, a key deleted and created again on the same lease
    /// with the same record, which a sweep took for unchanged (the mirror now compares
    /// create revisions); 990 and 1416, three nodes taking a set's mate in turn and stepping
    /// down from it in turn, the leader's host campaigning last (mates now defer to it);
    /// 6633, a campaign's read applied after the watch had told of a later change; 19750 and
    /// 26128, a key put on our lease by an attempt that timed out, passed over while the
    /// next attempt was out (looked at again when it is answered).
    /// </summary>
    [TestCase(965)]
    [TestCase(990)]
    [TestCase(1323)]
    [TestCase(1416)]
    [TestCase(6633)]
    [TestCase(19750)]
    [TestCase(26128)]
    public void EtcdSetsSettle_found_beyond_the_usual_seeds(int seed) => Run(seed);

    static void Run(int seed)
    {
        var random = new Random(seed);
        var sim = new EtcdSim(seed) { MinDelay = 200, MaxDelay = random.Next(1, 4) switch { 1 => 5 * Ms, 2 => 400 * Ms, _ => 1_200 * Ms } };
        int groups = random.Next(2, 6);
        string?[] sets = [.. Enumerable.Range(0, groups).Select(_ => random.Next(3) switch { 0 => null, 1 => "a", _ => (string?)"b" })];
        int count = random.Next(2, 4);
        for (int i = 1; i <= count; i++)
        {
            // Each node prefers (or not) all its groups alike: -k and -P per node.
            sim.Add(Node(i, advskew: (byte)random.Next(0, 256), preempt: random.Next(2) == 0), scriptDuration: random.Next(1, 300) * Ms,
                    groups, sets: sets);
        }
        string? setRule = null;
        sim.AfterEvent = () =>
        {
            foreach (EtcdSimNode n in sim.Nodes)
            {
                if (setRule is null && n.Alive && SyncRule.Broken(n.Groups, g => g.Set, g => g.Gate, g => g.Name) is string broken)
                {
                    setRule = $"{sim.Now}: node {n.Index} {broken}";
                }
            }
        };
        Faults(sim, random);

        string context = $"sets {string.Join(",", sets.Select(s => s ?? "-"))}\n{sim.Dump()}";
        ManyKeysTests.NeverTwoHolders(sim);
        for (int g = 0; g < groups; g++)
        {
            Assert.That(Holders(sim, g), Has.Count.EqualTo(1), $"g{g}: one holder\n{context}");
        }
        // Sets are asserted whole only by the explicit case (the rule acts on leaving only);
        // at every instant the rule itself must stand.
        Assert.That(setRule, Is.Null, context);
        foreach (var set in Enumerable.Range(0, groups).Where(g => sets[g] is not null).GroupBy(g => sets[g]))
        {
            Assert.That(set.Select(g => Holders(sim, g).Single()).Distinct().Count(), Is.EqualTo(1), $"set {set.Key} wholly on one node\n{context}");
        }

        // And it stays so: nobody takes an address while nothing happens.
        int spans = sim.Nodes.Sum(n => n.Groups.Sum(g => g.Held.Count));
        sim.RunFor(30 * S);
        Assert.That(sim.Nodes.Sum(n => n.Groups.Sum(g => g.Held.Count)), Is.EqualTo(spans), context);
        ManyKeysTests.NeverTwoHolders(sim);
    }

    static List<int> Holders(EtcdSim sim, int group) =>
        [.. sim.Nodes.Where(n => n.Alive && n.Groups[group].Machine.State == CarpState.Master).Select(n => n.Index)];

    /// <summary>A minute of random faults, then calm: short delays, every node connected and up, every gate open; 20 s to settle.</summary>
    static void Faults(EtcdSim sim, Random random)
    {
        foreach (EtcdSimNode n in sim.Nodes)
        {
            sim.At(random.NextInt64(0, 2 * S), n.Start);
        }
        for (long t = 3 * S; t < 60 * S; t += random.NextInt64(500 * Ms, 4 * S))
        {
            EtcdSimNode n = sim.Nodes[random.Next(sim.Nodes.Count)];
            int g = random.Next(n.Groups.Count);
            Action<ElectionGate, long>? act = null;
            switch (random.Next(7))
            {
                case 0: sim.At(t, () => n.SetConnected(!n.Connected)); break;
                case 1: sim.At(t, () => { if (n.Alive) { n.Kill(); } else { n.Start(); } }); break;
                case 2: act = (e, now) => e.SetEligible(e.IsClosed(GateReason.Health), "check", now); break;
                case 3: act = (e, now) => e.Close(GateReason.Control, "demoted by ucarpctl", now); break;
                case 4: act = (e, now) => e.Open(GateReason.Control, "promoted by ucarpctl", now); break;
                case 5: act = (e, now) => e.Demote(now); break;
                default: break;
            }
            if (act is not null)
            {
                sim.At(t, () => { if (n.Alive) { n.Do(act, g); } });
            }
        }
        sim.RunUntil(60 * S);
        sim.MaxDelay = Math.Min(sim.MaxDelay, 5 * Ms);
        foreach (EtcdSimNode n in sim.Nodes)
        {
            if (!n.Connected) { n.SetConnected(true); }
            if (!n.Alive) { n.Start(); }
            for (int g = 0; g < n.Groups.Count; g++)
            {
                n.Do((e, now) => { e.SetEligible(true, "check", now); e.Open(GateReason.Control, "promoted by ucarpctl", now); }, g);
            }
        }
        sim.RunFor(20 * S);
    }
}
