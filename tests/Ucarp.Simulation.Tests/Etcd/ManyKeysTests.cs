using Ucarp.Core.Carp;
using Ucarp.Core.Etcd;
using static Ucarp.Simulation.Tests.Cluster;

namespace Ucarp.Simulation.Tests.Etcd;

/// <summary>
/// Many addresses on one lease per daemon (<see cref="EtcdSession"/>), against the
/// in-memory etcd: one lease and a steady request rate whatever the number of groups,
/// every address taken over when the holder dies, every address given up before anyone
/// else holds one when the holder is cut off, a fast restart that keeps its addresses,
/// and keys that nobody can win or that are not ours to read.
/// </summary>
public class ManyKeysTests
{
    const long Ms = 1_000;
    const long S = EtcdSim.S;
    const long Ttl = 3 * S;
    const int Groups = 1000;

    static EtcdSim Pair(int seed, int groups = Groups, long scriptDuration = 10 * Ms)
    {
        var sim = new EtcdSim(seed);
        sim.Add(Node(1, advskew: 0), scriptDuration, groups);
        sim.Add(Node(2, advskew: 100), scriptDuration, groups);
        return sim;
    }

    static int Holding(EtcdSimNode n) => n.Groups.Count(g => g.Election.State == CarpState.Master);

    /// <summary>No key was held by two nodes at once: per address, the spans of every node never overlap.</summary>
    internal static void NeverTwoHolders(EtcdSim sim)
    {
        int groups = sim.Nodes[0].Groups.Count;
        for (int k = 0; k < groups; k++)
        {
            var spans = sim.Nodes.SelectMany(n => n.Groups[k].Held.Select(h => (n.Index, h.From, To: h.To ?? long.MaxValue))).OrderBy(h => h.From).ToList();
            for (int i = 1; i < spans.Count; i++)
            {
                if (spans[i - 1].Index != spans[i].Index && spans[i - 1].To > spans[i].From)
                {
                    Assert.Fail($"{EtcdSimNode.KeyOf(k)}: node {spans[i - 1].Index} held until {spans[i - 1].To}, node {spans[i].Index} from {spans[i].From}\n{sim.Dump()}");
                }
            }
        }
    }

    [Test]
    public void A_thousand_addresses_cost_one_lease_per_node_and_a_steady_few_requests_a_second()
    {
        EtcdSim sim = Pair(1);
        EtcdElectionTests.StartAll(sim);
        sim.RunFor(20 * S);
        Assert.That(Holding(sim.Nodes[0]), Is.EqualTo(Groups), "the lowest advskew holds every address\n" + sim.Dump());
        Assert.That(Holding(sim.Nodes[1]), Is.Zero);
        Assert.That(sim.Etcd.LeaseCount, Is.EqualTo(2), "one lease per node");
        Assert.That(sim.Nodes.Sum(n => n.Requests.Count(r => r.Op == EtcdOp.Grant)), Is.EqualTo(2), "one grant per node");
        long from = sim.Now;
        sim.RunFor(60 * S);
        foreach (EtcdSimNode n in sim.Nodes)
        {
            double perSecond = n.Requests.Count(r => r.Time >= from) / 60.0;
            TestContext.Out.WriteLine($"node {n.Index}: {perSecond:F2} requests/s in steady state");
            // The holder: ten renewals per TTL and a sweep every 2 TTL (3.5 a second at 3 s); the other, fewer.
            Assert.That(perSecond, Is.LessThanOrEqualTo((10 + 0.5) / 3.0 + 0.05), $"node {n.Index}");
            Assert.That(perSecond, Is.GreaterThan(0.2), $"node {n.Index} still renews its lease");
        }
        // The same with one group: the rate does not depend on the count.
        EtcdSim one = Pair(1, groups: 1);
        EtcdElectionTests.StartAll(one);
        one.RunFor(20 * S);
        from = one.Now;
        one.RunFor(60 * S);
        for (int i = 0; i < 2; i++)
        {
            Assert.That(one.Nodes[i].Requests.Count(r => r.Time >= from), Is.EqualTo(sim.Nodes[i].Requests.Count(r => r.Time >= sim.Now - 60 * S)).Within(2),
                        $"node {i}: one group or a thousand, the same requests");
        }
    }

    [Test]
    public void The_holder_killed_every_address_moves_within_the_ttl_and_a_second()
    {
        EtcdSim sim = Pair(2);
        EtcdElectionTests.StartAll(sim);
        sim.RunFor(20 * S);
        long killed = sim.Now;
        sim.Nodes[0].Kill();
        sim.RunFor(Ttl + 1 * S);
        Assert.That(Holding(sim.Nodes[1]), Is.EqualTo(Groups), sim.Dump());
        long last = sim.Nodes[1].Groups.Max(g => g.Held.Single().From);
        TestContext.Out.WriteLine($"all {Groups} held {(last - killed) / 1000} ms after the kill");
        Assert.That(last - killed, Is.LessThanOrEqualTo(Ttl + 1 * S));
        // Freed together (one lease's expiry), campaigned for together: transactions of up to 64 keys
        // (16 for a thousand; a few more where the simulated deletions reach the node spread out).
        int campaigns = sim.Nodes[1].Requests.Count(r => r.Time >= killed && r.Op == EtcdOp.Campaign);
        TestContext.Out.WriteLine($"{campaigns} campaign transactions for {Groups} addresses");
        Assert.That(campaigns, Is.InRange(16, 24));
        NeverTwoHolders(sim);
    }

    /// <summary>
    /// The holder is cut off from etcd. Every address it holds is given up (downscripts run,
    /// 300 ms each, one group after another in the simulation: its addresses are released
    /// within the margin) before etcd expires its lease and the other node holds any.
    /// </summary>
    [Test]
    public void A_holder_cut_off_releases_everything_before_the_other_node_holds_anything()
    {
        EtcdSim sim = Pair(3, groups: 200, scriptDuration: 300 * Ms);
        EtcdElectionTests.StartAll(sim);
        sim.RunFor(20 * S);
        Assert.That(Holding(sim.Nodes[0]), Is.EqualTo(200), sim.Dump());
        sim.Nodes[0].SetConnected(false);
        sim.RunFor(10 * S);
        Assert.That(Holding(sim.Nodes[1]), Is.EqualTo(200), sim.Dump());
        long lastReleased = sim.Nodes[0].Groups.Max(g => g.Held.Single().To!.Value);
        long firstTaken = sim.Nodes[1].Groups.Min(g => g.Held.Single().From);
        Assert.That(lastReleased, Is.LessThan(firstTaken), sim.Dump());
        Assert.That(sim.Nodes[0].Events.Count(e => e.What.StartsWith("etcd lease not renewed", StringComparison.Ordinal)), Is.EqualTo(1),
                    "the fence is said once, for every address");
        NeverTwoHolders(sim);
    }

    /// <summary>
    /// The holder restarts (killed, started again 1 s later, well within the TTL): each key
    /// is still on the previous run's lease with its record, and is moved to the new lease
    /// in one transaction. The other node never holds any of them.
    /// </summary>
    [Test]
    public void A_restart_faster_than_the_ttl_takes_every_address_back()
    {
        EtcdSim sim = Pair(4);
        EtcdElectionTests.StartAll(sim);
        sim.RunFor(20 * S);
        sim.Nodes[0].Kill();
        sim.RunFor(1 * S);
        sim.Nodes[0].Start();
        sim.RunFor(10 * S);
        Assert.That(Holding(sim.Nodes[0]), Is.EqualTo(Groups), sim.Dump());
        Assert.That(sim.Nodes[1].Groups.All(g => g.Held.Count == 0), Is.True, "the other node never held one\n" + sim.Dump());
        // In transactions of up to BatchSize keys: 16 for a thousand.
        Assert.That(sim.Nodes[0].Requests.Count(r => r.Op == EtcdOp.TakeBack), Is.EqualTo((Groups + EtcdSession.BatchSize - 1) / EtcdSession.BatchSize));
        Assert.That(sim.Etcd.LeaseCount, Is.EqualTo(2), "the previous run's lease has expired, empty");
        NeverTwoHolders(sim);
    }

    /// <summary>
    /// A record of this host but another interface (or another host's) is not ours to take
    /// back: the node waits for the key to go, as for any holder.
    /// </summary>
    [Test]
    public void Another_hosts_key_is_not_taken_back()
    {
        EtcdSim sim = Pair(5, groups: 1);
        sim.Nodes[1].Start();
        sim.RunFor(5 * S);
        Assert.That(Holding(sim.Nodes[1]), Is.EqualTo(1));
        sim.Nodes[0].Start();
        sim.RunFor(10 * S);
        Assert.That(sim.Nodes[0].Requests.Count(r => r.Op == EtcdOp.TakeBack), Is.Zero);
        Assert.That(Holding(sim.Nodes[1]), Is.EqualTo(1), "no -P: the holder keeps it");
    }

    /// <summary>
    /// Keys under the prefix that are not holder records (another tool's, or written by
    /// hand) are ignored, each said once; a key every campaign for fails (etcd refuses the
    /// write) makes no tight loop: the campaigns back off to one every 5 s.
    /// </summary>
    [Test]
    public void Keys_nobody_can_win_cost_no_loop_and_foreign_keys_one_line()
    {
        var sim = new EtcdSim(6);
        sim.Add(Node(1, advskew: 0), 10 * Ms, groups: 3);
        sim.Etcd.PutByHand(EtcdSimNode.KeyOf(1), "not a holder record");
        sim.Etcd.PutByHand("/ucarp/other-tool/config", "{\"x\":1}");
        sim.Etcd.Refuse = r => r.Op == EtcdOp.Campaign && (r.Key == EtcdSimNode.KeyOf(2) || r.Batch?.Any(one => one.Key == EtcdSimNode.KeyOf(2)) == true)
            ? new EtcdReply(r.Id, r.Op, false, "etcdserver: permission denied") : null;
        sim.Nodes[0].Start();
        sim.RunFor(60 * S);
        EtcdSimNode n = sim.Nodes[0];
        Assert.That(n.Groups[0].Election.State, Is.EqualTo(CarpState.Master), sim.Dump());
        Assert.That(n.Groups[1].Election.State, Is.EqualTo(CarpState.Backup), "a foreign value holds nobody; no campaign while it stands");
        Assert.That(n.Groups[1].Events.Count(e => e.What.Contains("not a holder record on a lease", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(n.Groups[2].Election.State, Is.EqualTo(CarpState.Backup));
        // Group 0's campaign went in one transaction with group 2's, refused; then on its own.
        int refused = n.Requests.Count(r => r.Op == EtcdOp.Campaign) - 2;
        // 200 ms doubling to 5 s: 0.2 + 0.4 + ... + 3.2 (about 6 s), then one every 5 s: at most 17 in a minute.
        Assert.That(refused, Is.InRange(5, 17), sim.Dump());
        Assert.That(n.Requests.Count(r => r.Op == EtcdOp.Campaign && r.Time >= 30 * S), Is.LessThanOrEqualTo(7));
    }

    /// <summary>A group that joins a running session (a reload) learns its key from what the session knows: no new grant, no new sweep.</summary>
    [Test]
    public void A_group_joining_a_running_session_costs_no_grant_and_no_sweep()
    {
        EtcdSim sim = Pair(7, groups: 2);
        EtcdSimNode n = sim.Nodes[0];
        EtcdSimGroup late = n.Groups[1];
        n.Groups.RemoveAt(1);
        n.Start();
        sim.RunFor(10 * S);
        int grants = n.Requests.Count(r => r.Op == EtcdOp.Grant), sweeps = n.Requests.Count(r => r.Op == EtcdOp.Sweep);
        n.Groups.Add(late);
        late.Start(n.Session, n.Epoch);
        n.Do((_, _) => { });
        sim.RunFor(2 * S);
        Assert.That(late.Election.State, Is.EqualTo(CarpState.Master), sim.Dump());
        Assert.That(n.Requests.Count(r => r.Op == EtcdOp.Grant), Is.EqualTo(grants));
        Assert.That(n.Requests.Count(r => r.Op == EtcdOp.Sweep), Is.EqualTo(sweeps));
    }
}
