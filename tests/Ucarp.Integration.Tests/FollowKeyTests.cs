using System.Diagnostics;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// Follow mode on a real etcd (Debian's etcd-server 3.4, three members on nodes 1-3): nodes
/// 4 and 5 run --follow-key, node 4 with --follow-value=pgA, node 5 with the default (the
/// host name); etcdctl writes the key as Patroni would. The address is where the key says,
/// and a node cut off from etcd releases it within TTL + 1 s, saying so once.
/// </summary>
public class FollowKeyTests : NamespaceTest
{
    const int A = 4, B = 5;
    const string Key = "/service/pg/leader";
    static readonly TimeSpan Ttl = TimeSpan.FromSeconds(3);   // advbase 1 x deadratio 3

    [Serial]
    [Test]
    public void The_address_follows_the_key_and_a_node_cut_off_from_etcd_releases_it_once()
    {
        var (lan, etcd) = EtcdTests.Cluster();
        using (lan)
        {
            using UcarpProcess a = lan.Start(A, Binaries.Clone, [.. etcd.ClientOptions(), "--follow-key=" + Key, "--follow-value=pgA"]);
            using UcarpProcess b = lan.Start(B, Binaries.Clone, [.. etcd.ClientOptions(), "--follow-key=" + Key]);
            string missing = $"etcd key {Key} does not exist: nobody is leader";
            Assert.That(Wait.Until(() => a.Saw(missing) && b.Saw(missing), Long), Is.True, Describe(lan, a, b));

            etcd.Ctl("put", Key, "pgA");
            Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([A]), Short), Is.True, Describe(lan, a, b));
            // Node 5's value is the host name up to its first dot, as .NET (and the etcd holder record) gives it.
            etcd.Ctl("put", Key, Environment.MachineName);
            Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([B]), Short), Is.True, Describe(lan, a, b));
            etcd.Ctl("del", Key);
            Assert.That(Wait.Until(() => lan.VipHolders().Count == 0, Short), Is.True, Describe(lan, a, b));

            etcd.Ctl("put", Key, "pgA");
            Assert.That(Wait.Until(() => lan.HoldsVip(A), Short), Is.True, Describe(lan, a, b));
            // Node 4 loses etcd (its packets to the members go nowhere) but keeps the LAN.
            var clock = Stopwatch.StartNew();
            SetCutOff(lan, A, true);
            Assert.That(Wait.Until(() => !lan.HoldsVip(A), Ttl + TimeSpan.FromSeconds(2)), Is.True, Describe(lan, a, b));
            double released = clock.Elapsed.TotalSeconds;
            TestContext.Out.WriteLine($"cut off from etcd -> address released: {released:F2} s (TTL 3 s)");
            // The last read that succeeded went out at most TTL/3 before the cut.
            Assert.That(released, Is.InRange(Ttl.TotalSeconds * 2 / 3 - 0.1, Ttl.TotalSeconds + 1), Describe(lan, a, b));
            const string Said = $"Cannot read etcd key [{Key}] for ";
            Assert.That(a.WaitFor(Said, Short), Is.True, Describe(lan, a, b));
            // One TTL more cut off: still said once.
            Assert.That(Wait.Throughout(() => a.Count(Said) == 1 && !lan.HoldsVip(A), Ttl + TimeSpan.FromSeconds(0.5)), Is.True, Describe(lan, a, b));

            SetCutOff(lan, A, false);
            Assert.That(Wait.Until(() => lan.HoldsVip(A), Long), Is.True, Describe(lan, a, b));
            Assert.That(a.Count($"etcd key [{Key}] can be read again"), Is.EqualTo(1), Describe(lan, a, b));
            Assert.That(lan.HoldsVip(B), Is.False, "node 5 holds only while named");
        }
    }

    /// <summary>
    /// One --config daemon with three follow groups (two on one key, one on another) and
    /// two election groups (one vhid, told apart by their address): the follow groups'
    /// client and the election's shared session run side by side in one event loop, and
    /// the follow groups share one client (one reply queue and eventfd), each its own watch.
    /// </summary>
    [Test]
    public void In_a_config_file_a_follow_group_runs_beside_election_groups()
    {
        var (lan, etcd) = EtcdTests.Cluster();
        using (lan)
        {
            string config = Path.Combine(lan.Directory, "mixed.conf");
            File.WriteAllText(config,
                $"defaults --interface=eth0 --srcip={TestLan.Address(A)} --pass=test --vhid=7 --etcd={etcd.Endpoints}\n" +
                $"group pg --addr=192.0.2.100 --follow-key={Key} --follow-value=pgA\n" +
                $"group pg2 --addr=192.0.2.103 --follow-key={Key} --follow-value=pgA\n" +
                $"group other --addr=192.0.2.104 --follow-key={OtherKey} --follow-value=pgA\n" +
                "group e1 --addr=192.0.2.101\n" +
                "group e2 --addr=192.0.2.102\n");
            File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            string control = Path.Combine(lan.Directory, "mixed.sock");
            using UcarpProcess a = lan.StartRaw(A, Binaries.Clone, "--config=" + config, "--control=" + control);
            string States()
            {
                CtlResult status = Ucarpctl.Run(["--control=" + control, "status", "--json"]);
                if (status.Code != 0)
                {
                    return "";
                }
                using var json = System.Text.Json.JsonDocument.Parse(status.Out);
                return string.Join(" ", json.RootElement.GetProperty("groups").EnumerateArray()
                                            .Select(g => g.GetProperty("name").GetString() + "=" + g.GetProperty("state").GetString()));
            }
            // The elections win at once (nobody else campaigns); the follow groups wait for their keys.
            Assert.That(Wait.Until(() => States() == "pg=BACKUP pg2=BACKUP other=BACKUP e1=MASTER e2=MASTER", Long), Is.True, States() + "\n" + Describe(lan, a));
            etcd.Ctl("put", Key, "pgA");
            Assert.That(Wait.Until(() => States() == "pg=MASTER pg2=MASTER other=BACKUP e1=MASTER e2=MASTER", Short), Is.True, States() + "\n" + Describe(lan, a));
            etcd.Ctl("put", OtherKey, "pgA");
            Assert.That(Wait.Until(() => States() == "pg=MASTER pg2=MASTER other=MASTER e1=MASTER e2=MASTER", Short), Is.True, States() + "\n" + Describe(lan, a));
            string leases = etcd.Ctl("lease", "list");
            Assert.That(leases, Does.StartWith("found 1 leases"), "two election groups, one lease; the follow groups take none\n" + leases);
            // One eventfd more than a lone CARP daemon's (the signals' and the runtime's) for the
            // session's client, one for the follow groups' shared client; a client each would be two more.
            using UcarpProcess plain = lan.Start(B, Binaries.Clone);
            Assert.That(plain.WaitFor("Switching to state: BACKUP", Short), Is.True, plain.Output);
            int baseline = EventFds(plain.Pid), eventfds = EventFds(a.Pid);
            TestContext.Out.WriteLine($"eventfds: lone CARP daemon {baseline}, config daemon {eventfds}");
            Assert.That(eventfds, Is.EqualTo(baseline + 2), $"lone CARP daemon {baseline}");
            etcd.Ctl("del", Key);
            Assert.That(Wait.Until(() => States() == "pg=BACKUP pg2=BACKUP other=MASTER e1=MASTER e2=MASTER", Short), Is.True, States() + "\n" + Describe(lan, a));
        }
    }

    const string OtherKey = "/service/other/leader";

    static int EventFds(int pid) =>
        new DirectoryInfo($"/proc/{pid}/fd").GetFileSystemInfos().Count(f => f.LinkTarget == "anon_inode:[eventfd]");

    static void SetCutOff(TestLan lan, int node, bool cut)
    {
        for (int m = 1; m <= EtcdCluster.Members; m++)
        {
            lan.Ip("-n", lan.Node(node), "route", cut ? "add" : "del", "blackhole", TestLan.Address(m) + "/32");
        }
    }
}
