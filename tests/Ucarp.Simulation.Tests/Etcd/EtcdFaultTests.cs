using Ucarp.Core.Carp;
using Ucarp.Core.Etcd;
using static Ucarp.Simulation.Tests.Cluster;
using static Ucarp.Simulation.Tests.Etcd.EtcdElectionTests;

namespace Ucarp.Simulation.Tests.Etcd;

/// <summary>
/// The etcd election when something around it misbehaves: a -P candidate that cannot take
/// over, a key written by hand, a server's odd grant, an etcd leader election, a partition
/// that heals, the interface vanishing, a watch that goes quiet while the key is deleted.
/// </summary>
public class EtcdFaultTests
{
    const long Ms = 1_000;
    const string Key = "/ucarp/192.0.2.100";

    /// <summary>Runs until <paramref name="done"/> holds, at most <paramref name="limit"/>.</summary>
    static void RunUntil(EtcdSim sim, Func<bool> done, long limit)
    {
        long end = sim.Now + limit;
        while (!done() && sim.Now < end)
        {
            sim.RunFor(1 * Ms);
        }
        Assert.That(done(), Is.True, sim.Dump());
    }

    /// <summary>
    /// A -P node files its request, then fails its check. It must not make the holder resign
    /// over and over: it withdraws the request, and a request found again after one handover
    /// (its withdrawal lost: the author was cut off from etcd for a moment) is deleted as stale.
    /// 30 s is fifteen of the resign cycles (1-2 s each) the holder would otherwise go through.
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public void A_P_candidate_out_of_the_election_does_not_make_the_holder_flap(bool withdrawalLost)
    {
        EtcdSim sim = Sim(21, Node(1, advskew: 0, preempt: true), Node(2, advskew: 100));
        EtcdSimNode candidate = sim.Nodes[0], holder = sim.Nodes[1];
        holder.Start();
        sim.RunFor(10 * S);
        candidate.Start();
        RunUntil(sim, () => candidate.Requests.Any(r => r.Op == EtcdOp.PutPreempt), 2 * S);
        sim.RunFor(5 * Ms);
        Assert.That(sim.Etcd.Keys.ContainsKey(Key + "/preempt"), Is.True, "the request stands");
        if (withdrawalLost)
        {
            candidate.SetConnected(false);
        }
        candidate.Do((e, now) => e.SetEligible(false, "check failed", now));
        if (withdrawalLost)
        {
            sim.RunFor(800 * Ms); // back before its lease (TTL 3 s) can expire: the request stays
            candidate.SetConnected(true);
        }
        long from = sim.Now;
        sim.RunFor(30 * S);
        int held = holder.Held.Count(h => (h.To ?? long.MaxValue) > from);
        // The watch shows the request at once: it is obeyed once at most (the holder takes the
        // address back: the candidate no longer campaigns), never again.
        Assert.That(held, Is.LessThanOrEqualTo(2), $"the holder took the address {held} times in 30 s\n" + sim.Dump());
        Assert.That(sim.Masters.Select(n => n.Index), Is.EqualTo(new[] { 1 }), sim.Dump());
        Assert.That(sim.Etcd.Keys.ContainsKey(Key + "/preempt"), Is.False, "the stale request is gone");
        NeverTwoHolders(sim);
        // Back in the election, it asks again, and gets the address.
        candidate.Do((e, now) => e.SetEligible(true, "check passes", now));
        sim.RunFor(5 * S);
        Assert.That(sim.Masters.Select(n => n.Index), Is.EqualTo(new[] { 0 }), sim.Dump());
        NeverTwoHolders(sim);
    }

    /// <summary>
    /// `etcdctl put /ucarp/ADDR x`: a key without a lease (or a value that is no holder
    /// record) means nobody holds the address, and nobody can create the key. The nodes say
    /// so once and wait, reading the key once per TTL, instead of campaigning in a loop;
    /// deleted, the election proceeds at once.
    /// </summary>
    [TestCase("x")]
    [TestCase("{\"holder\":\"192.0.2.9\",\"advskew\":0,\"host\":\"h\",\"interface\":\"eth0\",\"vhid\":1}")]
    public void A_key_written_by_hand_holds_nobody_and_costs_no_loop(string value)
    {
        EtcdSim sim = Sim(22, Node(1, advskew: 0), Node(2, advskew: 100));
        sim.Etcd.PutByHand(Key, value);
        StartAll(sim);
        sim.RunFor(2 * S);
        long from = sim.Now;
        sim.RunFor(10 * S);
        Assert.That(sim.Masters, Is.Empty, sim.Dump());
        foreach (EtcdSimNode n in sim.Nodes)
        {
            // Renewals aside: a read per TTL (3 s) and nothing else, so about 3 in 10 s.
            int requests = n.Requests.Count(r => r.Time >= from && r.Op != EtcdOp.KeepAlive);
            Assert.That(requests, Is.LessThanOrEqualTo(5), $"node {n.Index} sent {requests} requests in 10 s\n" + sim.Dump());
            Assert.That(n.Events.Count(e => e.What.StartsWith("etcd key " + Key + " holds", StringComparison.Ordinal)), Is.EqualTo(1), sim.Dump());
        }
        long deleted = sim.Now;
        sim.Etcd.DeleteByHand(Key);
        sim.RunFor(2 * S);
        Assert.That(sim.Masters.Select(n => n.Index), Is.EqualTo(new[] { 0 }), sim.Dump());
        // The watch shows the deletion: advskew 0 and a transaction later.
        Assert.That(BecameMaster(sim, sim.Nodes[0], deleted) - deleted, Is.LessThan(50 * Ms), sim.Dump());
        NeverTwoHolders(sim);
    }

    /// <summary>
    /// A grant without an ID, with a TTL missing, not positive, below the asked 3 s or more
    /// than 10 s above it: refused (revoked when it has an ID), said once, retried with the
    /// backoff; never held on. A TTL etcd raised to its minimum (5 s for 3 s) is fine.
    /// </summary>
    [TestCase(0L, 3L)]
    [TestCase(-1L, 3L)]
    [TestCase(1L, 0L)]
    [TestCase(1L, -5L)]
    [TestCase(1L, 2L)]
    [TestCase(1L, 14L)]
    [TestCase(1L, 1L << 40)]
    public void A_grant_not_as_asked_is_refused(long idSign, long ttl)
    {
        EtcdSim sim = Sim(23, Node(1, advskew: 0));
        sim.Etcd.GrantAnswer = g => g with { Lease = idSign * g.Lease, Ttl = ttl };
        StartAll(sim);
        sim.RunFor(20 * S);
        EtcdSimNode n = sim.Nodes[0];
        Assert.That(sim.Masters, Is.Empty, sim.Dump());
        Assert.That(n.Held, Is.Empty);
        Assert.That(n.Events.Count(e => e.What.StartsWith("etcd granted lease", StringComparison.Ordinal)), Is.EqualTo(1), sim.Dump());
        // The backoff: 0.2 s doubling to 5 s is 8 grants in 20 s, not one per round trip.
        int grants = n.Requests.Count(r => r.Op == EtcdOp.Grant);
        Assert.That(grants, Is.InRange(4, 12), sim.Dump());
        int revokes = n.Requests.Count(r => r.Op == EtcdOp.Revoke);
        Assert.That(revokes, idSign > 0 ? Is.InRange(grants - 1, grants) : Is.Zero, "a refused lease with an ID is revoked");
        sim.Etcd.GrantAnswer = null;
        sim.RunFor(6 * S);
        Assert.That(sim.Masters.Select(m => m.Index), Is.EqualTo(new[] { 0 }), sim.Dump());
    }

    [Test]
    public void A_ttl_raised_to_etcds_minimum_is_accepted()
    {
        EtcdSim sim = Sim(24, Node(1, advskew: 0));
        sim.Etcd.MinimumTtl = 5;
        StartAll(sim);
        sim.RunFor(3 * S);
        Assert.That(sim.Masters.Select(m => m.Index), Is.EqualTo(new[] { 0 }), sim.Dump());
        Assert.That(sim.Nodes[0].Election.Ttl, Is.EqualTo(5 * S));
    }

    /// <summary>
    /// etcd's leader killed: for 1 to 1.5 s requests fail at once (the dead member) or wait
    /// for the new leader (a follower), and the leases keep expiring on the server as if
    /// nothing happened. Forty such elections at every phase of the renewal cycle: the holder
    /// with TTL 3 s rides them all out (prompt renewals on the other members), and
    /// nothing moves.
    /// </summary>
    [Test]
    public void An_etcd_leader_election_never_fences_the_holder()
    {
        EtcdSim sim = Sim(25, Node(1, advskew: 0), Node(2, advskew: 100));
        StartAll(sim);
        sim.RunFor(10 * S);
        var random = new Random(25);
        for (int round = 0; round < 40; round++)
        {
            sim.RunFor(random.NextInt64(0, 1 * S));
            sim.LeaderElectionUntil = sim.Now + random.NextInt64(1 * S, 1_200 * Ms);
            sim.RunFor(4 * S);
        }
        EtcdSimNode holder = sim.Nodes[0];
        Assert.That(holder.Events.Where(e => e.What.StartsWith("etcd lease not renewed", StringComparison.Ordinal)), Is.Empty, sim.Dump());
        Assert.That(holder.Held.Count, Is.EqualTo(1), sim.Dump());
        Assert.That(sim.Nodes[1].Held, Is.Empty, sim.Dump());
        NeverTwoHolders(sim);
    }

    /// <summary>
    /// The backup cut off from etcd (its watch reset; three members that drop packets: each
    /// request takes 2.1 s to fail) long enough for its backoff to reach 5 s and its lease
    /// to expire; a second after it is back, the holder stops. The handover takes milliseconds, at every
    /// phase of the backup's retries.
    /// </summary>
    [Test]
    public void A_backup_back_from_a_partition_takes_over_at_once()
    {
        for (int round = 0; round < 10; round++)
        {
            EtcdSim sim = Sim(26 + round, Node(1, advskew: 0), Node(2, advskew: 100));
            sim.RequestTimeout = 2_100 * Ms;
            StartAll(sim);
            sim.RunFor(5 * S);
            sim.Nodes[1].SetConnected(false, dropWatches: true);
            sim.RunFor(20 * S + round * 730 * Ms); // ten phases of the retries (2.1 s + up to 5 s)
            sim.Nodes[1].SetConnected(true);
            sim.RunFor(1 * S);
            long stop = sim.Now;
            sim.Nodes[0].Do((e, now) => e.Shutdown(now));
            sim.RunFor(6 * S);
            long handover = BecameMaster(sim, sim.Nodes[1], stop) - stop;
            Assert.That(handover, Is.LessThan(200 * Ms), $"round {round}: handover took {handover / 1000} ms\n" + sim.Dump());
            NeverTwoHolders(sim);
        }
    }

    /// <summary>
    /// The interface vanishes under -z: the downscript runs, and the lease's revoke (which
    /// frees the key) goes out only after it, so the backup takes over after the address is
    /// gone here.
    /// </summary>
    [Test]
    public void The_interface_lost_revokes_after_the_downscript()
    {
        var sim = new EtcdSim(27);
        sim.Add(Node(1, advskew: 0), scriptDuration: 400 * Ms);
        sim.Add(Node(2, advskew: 100), scriptDuration: 400 * Ms);
        StartAll(sim);
        sim.RunFor(10 * S);
        sim.Nodes[0].Do((e, now) => e.InterfaceLost(8, shutdownAtExit: true, now));
        sim.RunFor(5 * S);
        Assert.That(sim.Nodes[1].Election.State, Is.EqualTo(CarpState.Master), sim.Dump());
        long released = sim.Nodes[0].Held.Single().To!.Value;
        long deleted = sim.Nodes[0].Requests.Last(r => r.Op == EtcdOp.Release).Time;
        Assert.That(deleted, Is.GreaterThanOrEqualTo(released), sim.Dump());
        NeverTwoHolders(sim);
    }

    /// <summary>
    /// Both nodes' watches sit on a member cut off from the quorum (quiet, never ending);
    /// the key is deleted by hand just after the backup's sweep. The holder's own sweep finds
    /// the key gone within a sweep interval and it leaves, before the backup's next sweep
    /// shows the key free: never two holders.
    /// </summary>
    [Test]
    public void A_holder_whose_watch_went_quiet_leaves_when_its_key_is_deleted()
    {
        EtcdSim sim = Sim(28, Node(1, advskew: 0), Node(2, advskew: 100));
        StartAll(sim);
        sim.RunFor(10 * S);
        EtcdSimNode holder = sim.Nodes[0], backup = sim.Nodes[1];
        holder.WatchesQuiet = backup.WatchesQuiet = true;
        int reads = backup.Requests.Count(r => r.Op == EtcdOp.Sweep);
        RunUntil(sim, () => backup.Requests.Count(r => r.Op == EtcdOp.Sweep) > reads, 7 * S);
        sim.RunFor(10 * Ms);
        long deleted = sim.Now;
        sim.Etcd.DeleteByHand(Key);
        sim.RunFor(20 * S);
        Assert.That(holder.Held[0].To, Is.Not.Null, "the holder left\n" + sim.Dump());
        long left = holder.Held[0].To!.Value - deleted;
        Assert.That(left, Is.LessThan(holder.Session.SweepInterval + 200 * Ms), sim.Dump());
        // The key is free: the lowest advskew (the old holder, reading it afresh) campaigns first.
        Assert.That(sim.Masters.Count(), Is.EqualTo(1), sim.Dump());
        NeverTwoHolders(sim);
    }
}
