using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// Follow mode beside a real Patroni 3 cluster: etcd on nodes 1-3, a Patroni member
/// (PostgreSQL 15) and a ucarp following Patroni's leader key on each of nodes 4 and 5,
/// a client on node 6. The address must be on whichever host is primary, through a
/// patronictl switchover and the SIGKILL of the primary's Patroni and PostgreSQL, and a
/// client connecting to the address must reach a primary.
/// </summary>
// Long fixtures start first in the concurrent phase, so that they do not end it alone.
[Order(3)]
public class PatroniFollowTests : NamespaceTest
{
    const int A = 4, B = 5, Client = 6;

    [Test]
    public void The_address_follows_the_primary_through_a_switchover_and_a_killed_primary()
    {
        RequirePatroni();
        using var lan = new TestLan(6);
        var etcd = new EtcdCluster(lan);
        using var watch = new KeyWatch(lan, etcd, PatroniCluster.LeaderKey);
        using var patroni = new PatroniCluster(lan, etcd, A, B);
        UcarpProcess[] nodes = [Follower(lan, etcd, A), Follower(lan, etcd, B)];
        string Why() => Describe(lan, nodes) + "\n--- leader key:\n" + watch + "\n" + patroni.Describe();

        int primary = patroni.LeaderNode();
        Assert.That(primary, Is.AnyOf(A, B), Why());
        Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([primary]), Long), Is.True, "the address is not on the primary:\n" + Why());
        AssertClientReachesAPrimary(lan, patroni, Why);

        int next = primary == A ? B : A;
        double issued = HolderIntervals.Now;
        patroni.Switchover(next);
        AssertFollowed(lan, watch, next, issued, "switchover", TimeSpan.FromSeconds(20), Why);
        AssertClientReachesAPrimary(lan, patroni, Why);

        Assert.That(Wait.Until(patroni.Ready, TimeSpan.FromSeconds(30)), Is.True, "the old primary did not come back as a replica:\n" + Why());
        double killed = HolderIntervals.Now;
        Assert.That(patroni.KillPrimary(), Is.EqualTo(next));
        AssertFollowed(lan, watch, primary, killed, "SIGKILL of the primary", TimeSpan.FromSeconds(PatroniCluster.Ttl + 15), Why);
        AssertClientReachesAPrimary(lan, patroni, Why);
    }

    static void RequirePatroni()
    {
        if (!File.Exists(EtcdCluster.Etcd) || !File.Exists(EtcdCluster.Etcdctl))
        {
            Assert.Ignore("etcd-server and etcd-client are not installed (tests/install-deps.sh installs them)");
        }
        PatroniCluster.Require();
    }

    /// <summary>A ucarp on node i holding the address while Patroni's leader key names node i's member.</summary>
    static UcarpProcess Follower(TestLan lan, EtcdCluster etcd, int i) =>
        lan.Start(i, Binaries.Clone, [.. etcd.ClientOptions(), "--follow-key=" + PatroniCluster.LeaderKey, "--follow-value=" + PatroniCluster.Member(i)]);

    /// <summary>
    /// The address ends up on node <paramref name="to"/> alone; prints the time from
    /// <paramref name="since"/> (the switchover or the kill) and from the leader key's
    /// change to the new primary's upscript.
    /// </summary>
    static void AssertFollowed(TestLan lan, KeyWatch watch, int to, double since, string what, TimeSpan timeout, Func<string> why)
    {
        Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([to]), timeout), Is.True, $"after the {what} the address is not on node {to} alone:\n" + why());
        double? keySet = watch.SetTo(PatroniCluster.Member(to), since);
        double? up = HolderIntervals.Read(lan).All.Where(i => i.Node == to && i.From > since).Select(i => (double?)i.From).FirstOrDefault();
        Assert.That(keySet, Is.Not.Null, $"the leader key was not seen naming {PatroniCluster.Member(to)}:\n" + why());
        Assert.That(up, Is.Not.Null, $"node {to}'s upscript did not run:\n" + why());
        TestContext.Out.WriteLine($"{what}: leader key names {PatroniCluster.Member(to)} after {(keySet - since) * 1000:F0} ms, "
                                  + $"address up on it {(up - keySet) * 1000:F0} ms after the key's change ({(up - since) * 1000:F0} ms in all)");
    }

    /// <summary>Through the address, a client (node 6) finds a server that is not in recovery: a primary.</summary>
    static void AssertClientReachesAPrimary(TestLan lan, PatroniCluster patroni, Func<string> why)
    {
        string last = "";
        Assert.That(Wait.Until(() => (last = patroni.InRecovery(Client, lan.VirtualAddress)) == "f", Long), Is.True,
                    $"through {lan.VirtualAddress} the client saw \"{last}\", not a primary:\n" + why());
    }
}
