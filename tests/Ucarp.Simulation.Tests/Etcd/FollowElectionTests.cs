using Ucarp.Core.Carp;
using Ucarp.Core.Etcd;
using static Ucarp.Simulation.Tests.Cluster;

namespace Ucarp.Simulation.Tests.Etcd;

/// <summary>
/// Follow mode (--follow-key) against the in-memory etcd on the virtual clock: the address
/// is held exactly while the key, written by someone else (Patroni), names the node; a
/// node that cannot read the key for TTL releases the address.
/// </summary>
public class FollowElectionTests
{
    const long Ms = 1_000;
    const long Ttl = 3 * S;   // advbase 1 x deadratio 3
    const string Key = "/service/pg/leader";
    const string Master = "Switching to state: MASTER", Backup = "Switching to state: BACKUP";

    /// <summary>Node i follows <see cref="Key"/> with the value values[i]; all started.</summary>
    static EtcdSim Sim(int seed, params string[] values)
    {
        var sim = new EtcdSim(seed);
        for (int i = 0; i < values.Length; i++)
        {
            string value = values[i];
            sim.Add(Node(i + 1), make: (s, host) => new FollowElection(s, new FollowSettings(Key, value), host));
        }
        foreach (EtcdSimNode n in sim.Nodes)
        {
            n.Start();
        }
        sim.RunFor(100 * Ms);
        return sim;
    }

    static IEnumerable<int> Masters(EtcdSim sim) => sim.Masters.Select(n => n.Index);

    static long First(EtcdSimNode n, string what, long after, EtcdSim sim)
    {
        var found = n.Events.Where(e => e.Time >= after && e.What == what).ToList();
        Assert.That(found, Is.Not.Empty, $"node {n.Index}: no [{what}] after {after}\n" + sim.Dump());
        return found[0].Time;
    }

    static int Said(EtcdSimNode n, string start) => n.Events.Count(e => e.What.StartsWith(start, StringComparison.Ordinal));

    [Test]
    public void The_key_naming_a_node_makes_it_master_and_it_announces_the_address()
    {
        EtcdSim sim = Sim(1, "pg1", "pg2");
        Assert.That(Masters(sim), Is.Empty, "no key, no leader");
        Assert.That(Said(sim.Nodes[0], $"etcd key {Key} does not exist"), Is.EqualTo(1));
        long put = sim.Now;
        sim.Etcd.PutByHand(Key, "pg1");
        sim.RunFor(100 * Ms);
        Assert.That(Masters(sim), Is.EqualTo(new[] { 0 }), sim.Dump());
        long master = First(sim.Nodes[0], Master, put, sim);
        long announced = First(sim.Nodes[0], "announce 192.0.2.100", put, sim);
        // The watch brings it: one delay from etcd (at most 2 ms here), not a periodic read.
        Assert.That(master - put, Is.LessThanOrEqualTo(2 * Ms), sim.Dump());
        Assert.That(announced, Is.EqualTo(First(sim.Nodes[0], "up done", put, sim)), "announced once the upscript has ended");
        Assert.That(announced, Is.GreaterThan(master));
        Assert.That(Said(sim.Nodes[1], $"etcd key {Key} holds [pg1]"), Is.EqualTo(1));
    }

    [Test]
    public void Rewritten_to_another_value_the_address_moves_and_values_are_compared_exactly()
    {
        EtcdSim sim = Sim(2, "pg1", "pg2");
        sim.Etcd.PutByHand(Key, "pg1");
        sim.RunFor(100 * Ms);
        long put = sim.Now;
        sim.Etcd.PutByHand(Key, "pg2");
        sim.RunFor(100 * Ms);
        Assert.That(Masters(sim), Is.EqualTo(new[] { 1 }), sim.Dump());
        Assert.That(First(sim.Nodes[0], Backup, put, sim) - put, Is.LessThanOrEqualTo(2 * Ms));
        Assert.That(First(sim.Nodes[0], "down done", put, sim), Is.GreaterThan(put), "the downscript ran");
        foreach (string near in (string[])["pg1 ", "PG1", "pg", "pg1\n"])
        {
            sim.Etcd.PutByHand(Key, near);
            sim.RunFor(2 * S);
            Assert.That(Masters(sim), Is.Empty, $"[{near}] names nobody\n" + sim.Dump());
        }
        // Five seconds of periodic reads say nothing new: the value is said once per change.
        sim.RunFor(5 * S);
        Assert.That(Said(sim.Nodes[0], $"etcd key {Key} holds [pg2]"), Is.EqualTo(1));
        Assert.That(Said(sim.Nodes[0], $"etcd key {Key} holds [pg1?]"), Is.EqualTo(1), "a newline is shown as ?");
    }

    [Test]
    public void Deleted_the_key_names_nobody()
    {
        EtcdSim sim = Sim(3, "pg1", "pg2");
        sim.Etcd.PutByHand(Key, "pg1");
        sim.RunFor(100 * Ms);
        long deleted = sim.Now;
        sim.Etcd.DeleteByHand(Key);
        sim.RunFor(100 * Ms);
        Assert.That(Masters(sim), Is.Empty, sim.Dump());
        Assert.That(First(sim.Nodes[0], Backup, deleted, sim) - deleted, Is.LessThanOrEqualTo(2 * Ms));
        Assert.That(Said(sim.Nodes[0], $"etcd key {Key} does not exist"), Is.EqualTo(2), "at start, and now");
    }

    /// <summary>
    /// Cut off from etcd, the holder releases TTL after it sent the last read that was
    /// answered, not after its answer came (with 200-400 ms each way, the two are 400 ms or
    /// more apart), says so once, and takes the address back when a read succeeds again.
    /// </summary>
    [Test]
    public void Cut_off_from_etcd_the_holder_releases_ttl_after_its_last_read_was_sent()
    {
        EtcdSim sim = Sim(4, "pg1");
        sim.MinDelay = 200 * Ms;
        sim.MaxDelay = 400 * Ms;
        sim.Etcd.PutByHand(Key, "pg1");
        sim.RunFor(5 * S);
        EtcdSimNode n = sim.Nodes[0];
        Assert.That(Masters(sim), Is.EqualTo(new[] { 0 }), sim.Dump());
        // Cut right after a read's answer is back (sent, plus two delays at most).
        int reads = n.Requests.Count(r => r.Op == EtcdOp.Get);
        while (n.Requests.Count(r => r.Op == EtcdOp.Get) == reads)
        {
            sim.RunFor(1 * Ms);
        }
        long lastRead = n.Requests.Last(r => r.Op == EtcdOp.Get).Time;
        sim.RunFor(2 * sim.MaxDelay + 1 * Ms);
        long cut = sim.Now;
        n.SetConnected(false);
        sim.RunFor(10 * S);
        long released = First(n, Backup, cut, sim);
        Assert.That(released, Is.InRange(lastRead + Ttl - 1 * Ms, lastRead + Ttl + 1 * Ms), sim.Dump());
        Assert.That(Said(n, $"Cannot read etcd key [{Key}] for 3.0 s: releasing the address"), Is.EqualTo(1), sim.Dump());
        Assert.That(Masters(sim), Is.Empty);

        long back = sim.Now;
        n.SetConnected(true);
        sim.RunFor(5 * S);
        Assert.That(Masters(sim), Is.EqualTo(new[] { 0 }), sim.Dump());
        // The next probe (every 300 ms while reads fail) and its round trip.
        Assert.That(First(n, Master, back, sim) - back, Is.LessThanOrEqualTo(300 * Ms + 2 * sim.MaxDelay), sim.Dump());
        Assert.That(Said(n, $"etcd key [{Key}] can be read again"), Is.EqualTo(1), sim.Dump());
        Assert.That(Said(n, "Cannot read etcd key"), Is.EqualTo(1));
    }

    /// <summary>
    /// The watch's stream goes quiet (its member cut off without closing it) while the key
    /// moves to the other node: the periodic read (every TTL/3) finds it out, and the watch
    /// is started afresh from that read.
    /// </summary>
    [Test]
    public void A_watch_gone_quiet_is_caught_by_the_periodic_read()
    {
        EtcdSim sim = Sim(5, "pg1", "pg2");
        sim.Etcd.PutByHand(Key, "pg1");
        sim.RunFor(100 * Ms);
        EtcdSimNode quiet = sim.Nodes[0];
        quiet.WatchesQuiet = true;
        int watches = quiet.Requests.Count(r => r.Op == EtcdOp.Watch);
        long put = sim.Now;
        sim.Etcd.PutByHand(Key, "pg2");
        sim.RunFor(100 * Ms);
        Assert.That(quiet.Machine.State, Is.EqualTo(CarpState.Master), "the quiet watch said nothing");
        sim.RunFor(2 * S);
        long left = First(quiet, Backup, put, sim);
        Assert.That(left - put, Is.LessThanOrEqualTo(Ttl / 3 + 4 * Ms), sim.Dump());
        Assert.That(quiet.Requests.Count(r => r.Op == EtcdOp.Watch), Is.EqualTo(watches + 1), "watched afresh");
        Assert.That(Masters(sim), Is.EqualTo(new[] { 1 }));
    }

    [Test]
    public void Out_of_the_election_demoted_or_without_link_the_node_lets_go_and_comes_back()
    {
        EtcdSim sim = Sim(6, "pg1");
        sim.Etcd.PutByHand(Key, "pg1");
        sim.RunFor(100 * Ms);
        EtcdSimNode n = sim.Nodes[0];
        n.Do((e, now) => e.SetEligible(false, "check failed", now));
        Assert.That(n.Machine.State, Is.EqualTo(CarpState.Backup));
        sim.RunFor(5 * S);
        Assert.That(n.Machine.State, Is.EqualTo(CarpState.Backup), "stays out while the check fails");
        n.Do((e, now) => e.SetEligible(true, "check passes", now));
        Assert.That(n.Machine.State, Is.EqualTo(CarpState.Master));

        long demoted = sim.Now;
        n.Do((e, now) => e.Demote(now));
        Assert.That(n.Machine.State, Is.EqualTo(CarpState.Backup));
        sim.RunFor(5 * S);
        Assert.That(First(n, Master, demoted + 1, sim) - demoted, Is.EqualTo(3 * S), "back after SIGUSR2's 3 s");

        n.Do((e, now) => e.LinkDown(now));
        Assert.That(n.Machine.State, Is.EqualTo(CarpState.Backup));
        n.Do((e, now) => e.LinkUp(now));
        Assert.That(n.Machine.State, Is.EqualTo(CarpState.Master));
    }

    /// <summary>The watch's connection breaks: the key is read again and watched afresh after 200 ms, then 400 ms...</summary>
    [Test]
    public void A_broken_watch_is_read_and_watched_again_with_backoff()
    {
        EtcdSim sim = Sim(7, "pg1");
        EtcdSimNode n = sim.Nodes[0];
        long[] gaps = new long[3];
        for (int i = 0; i < gaps.Length; i++)
        {
            long broke = sim.Now;
            n.SetConnected(true, dropWatches: true);
            sim.RunFor(1 * S);
            gaps[i] = n.Requests.First(r => r.Op == EtcdOp.Watch && r.Time > broke).Time - broke;
        }
        Assert.That(gaps[0], Is.InRange(200 * Ms, 210 * Ms));
        Assert.That(gaps[1], Is.InRange(400 * Ms, 410 * Ms));
        Assert.That(gaps[2], Is.InRange(800 * Ms, 810 * Ms));
        // The new watch works.
        sim.Etcd.PutByHand(Key, "pg1");
        sim.RunFor(10 * Ms);
        Assert.That(n.Machine.State, Is.EqualTo(CarpState.Master), sim.Dump());
    }

    [Test]
    public void A_huge_value_is_cut_in_the_log_and_names_nobody()
    {
        EtcdSim sim = Sim(8, "pg1");
        sim.Etcd.PutByHand(Key, "pg1" + new string('\u0001', 1_000_000));
        sim.RunFor(2 * S);
        EtcdSimNode n = sim.Nodes[0];
        Assert.That(Masters(sim), Is.Empty);
        string line = n.Events.Single(e => e.What.StartsWith($"etcd key {Key} holds", StringComparison.Ordinal)).What;
        Assert.That(line, Has.Length.LessThan(200));
        Assert.That(line, Does.Contain("[pg1???"));
    }

    /// <summary>At start a node is BACKUP and runs the downscript, as ucarp does, except under -n.</summary>
    [TestCase(false, 1)]
    [TestCase(true, 0)]
    public void A_node_starts_as_backup_with_the_downscript_unless_neutral(bool neutral, int downscripts)
    {
        var sim = new EtcdSim(10);
        EtcdSimNode n = sim.Add(Node(1) with { Neutral = neutral }, make: (s, host) => new FollowElection(s, new FollowSettings(Key, "pg1"), host));
        n.Start();
        sim.RunFor(1 * S);
        Assert.That(n.Machine.State, Is.EqualTo(CarpState.Backup));
        Assert.That(n.Events.Count(e => e.What == "down done"), Is.EqualTo(downscripts), sim.Dump());
    }

    [Test]
    public void Stopping_a_master_runs_the_downscript_and_has_nothing_to_release()
    {
        EtcdSim sim = Sim(9, "pg1");
        sim.Etcd.PutByHand(Key, "pg1");
        sim.RunFor(100 * Ms);
        EtcdSimNode n = sim.Nodes[0];
        long stopped = sim.Now;
        n.Do((e, now) => e.Shutdown(now));
        Assert.That(n.Machine.Follower.Done, Is.False, "the downscript runs");
        sim.RunFor(5 * S);
        Assert.That(First(n, "down done", stopped, sim), Is.GreaterThan(stopped));
        Assert.That(n.Requests.Where(r => r.Time > stopped), Is.Empty, "nothing sent after the stop");
        Assert.That(n.Machine.NextDeadline, Is.Null);
    }
}
