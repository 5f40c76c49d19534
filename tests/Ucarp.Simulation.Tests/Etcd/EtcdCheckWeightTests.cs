using Ucarp.Core.Etcd;
using static Ucarp.Simulation.Tests.Cluster;
using static Ucarp.Simulation.Tests.Etcd.EtcdElectionTests;

namespace Ucarp.Simulation.Tests.Etcd;

/// <summary>
/// --check-weight in etcd mode: three -P nodes at advskew 0, 10 and 20, weight 100. The
/// holder's record carries the advskew in use, so a -P node that is now preferred asks
/// for the address; when every node fails, the least bad holds it.
/// </summary>
public class EtcdCheckWeightTests
{
    const byte Weight = 100;
    const string Key = "/ucarp/192.0.2.100";

    static EtcdSim Settled(int seed)
    {
        EtcdSim sim = Sim(seed, Node(1, advskew: 0, preempt: true), Node(2, advskew: 10, preempt: true), Node(3, advskew: 20, preempt: true));
        StartAll(sim);
        sim.RunFor(10 * S);
        Assert.That(sim.Masters.Select(n => n.Index), Is.EqualTo(new[] { 0 }), sim.Dump());
        return sim;
    }

    static void Fail(EtcdSimNode n, bool failing) =>
        n.Do((e, now) => e.SetCheckWeight(failing ? Weight : (byte)0, failing ? "check failing" : "check passing", now));

    static int RecordSkew(EtcdSim sim) => HolderRecord.Parse(sim.Etcd.Keys[Key].Value)!.Value.AdvSkew;

    [Test]
    public void A_failing_holder_rewrites_its_record_and_a_healthy_P_node_takes_over()
    {
        EtcdSim sim = Settled(51);
        long failed = sim.Now;
        Fail(sim.Nodes[0], true);
        sim.RunFor(5 * S);
        Assert.That(sim.Masters.Select(n => n.Index), Is.EqualTo(new[] { 1 }), sim.Dump());
        // The rewrite, the watch event, the -P request, the holder's next look (every TTL/3), the handover.
        Assert.That(BecameMaster(sim, sim.Nodes[1], failed) - failed, Is.LessThan(2 * S), sim.Dump());
        Assert.That(RecordSkew(sim), Is.EqualTo(10));
        NeverTwoHolders(sim);
    }

    [Test]
    public void When_every_node_fails_the_least_bad_one_holds_the_address_and_recovery_brings_it_back()
    {
        EtcdSim sim = Settled(52);
        foreach (EtcdSimNode n in sim.Nodes)
        {
            Fail(n, true);
            sim.RunFor(5 * S);
        }
        sim.RunFor(20 * S);
        Assert.That(sim.Masters.Select(n => n.Index), Is.EqualTo(new[] { 0 }), "all degraded: 100 < 110 < 120\n" + sim.Dump());
        Assert.That(RecordSkew(sim), Is.EqualTo(100));

        // Node 3 recovers first and is the healthiest: it gets the address.
        Fail(sim.Nodes[2], false);
        sim.RunFor(5 * S);
        Assert.That(sim.Masters.Select(n => n.Index), Is.EqualTo(new[] { 2 }), sim.Dump());
        // Then node 1, the preferred one, takes it back.
        Fail(sim.Nodes[0], false);
        sim.RunFor(5 * S);
        Assert.That(sim.Masters.Select(n => n.Index), Is.EqualTo(new[] { 0 }), sim.Dump());
        Assert.That(RecordSkew(sim), Is.EqualTo(0));
        NeverTwoHolders(sim);
    }

    [Test]
    public void Degraded_from_the_start_a_node_campaigns_after_the_healthy_ones()
    {
        EtcdSim sim = Sim(53, Node(1, advskew: 0), Node(2, advskew: 50));
        StartAll(sim);
        // Node 1 starts degraded (0 + 100), as the daemon does before its first check result.
        Fail(sim.Nodes[0], true);
        sim.RunFor(10 * S);
        Assert.That(sim.Masters.Select(n => n.Index), Is.EqualTo(new[] { 1 }), sim.Dump());
    }

    [Test]
    public void A_P_request_filed_before_the_candidates_own_check_failed_is_withdrawn()
    {
        EtcdSim sim = Sim(54, Node(1, advskew: 50), Node(2, advskew: 0, preempt: true));
        sim.Nodes[0].Start();
        sim.RunFor(10 * S);
        sim.Nodes[1].Start();
        const string Request = Key + "/preempt";
        for (int i = 0; i < 10_000 && !sim.Etcd.Keys.ContainsKey(Request); i++)
        {
            sim.RunFor(S / 1000);
        }
        Assert.That(sim.Etcd.Keys.ContainsKey(Request), sim.Dump());
        // Degraded to 100 before the holder (50) looked: handing over would make things worse.
        Fail(sim.Nodes[1], true);
        sim.RunFor(20 * S);
        Assert.That(sim.Masters.Select(n => n.Index), Is.EqualTo(new[] { 0 }), sim.Dump());
        // The watch shows the request at once, before its withdrawal: the holder may hand over
        // once, and then the lower advskew (the holder's 50 against the candidate's 100)
        // campaigns first and takes the address back.
        Assert.That(sim.Nodes[0].Held, Has.Count.LessThanOrEqualTo(2), sim.Dump());
        Assert.That(sim.Etcd.Keys.ContainsKey(Request), Is.False, sim.Dump());
    }
}
