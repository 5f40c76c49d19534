using System.Diagnostics;
using System.Globalization;
using System.Text;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// A thousand etcd addresses (2001:db8::a:1 to 2001:db8::a:3e8, one vhid for all: etcd
/// groups are told apart by their key) in one --config daemon on each of two nodes, on
/// Debian's etcd 3.4 (three members): one lease per daemon (etcdctl lease list), a
/// steady request rate that does not grow with the count (etcd's own metrics), the
/// holder SIGKILLed and all thousand taken over, the etcd leader killed and nothing
/// moves, a restart faster than the TTL that keeps every address, and a holder cut off
/// from etcd that releases everything before the other node holds anything.
/// </summary>
public class EtcdScaleTests : NamespaceTest
{
    const int A = 4, B = 5;
    const int Groups = 1000;
    const double TtlSeconds = 3;

    static string Vip(int i) => "2001:db8::a:" + i.ToString("x", CultureInfo.InvariantCulture);

    static (TestLan, EtcdCluster) Cluster()
    {
        if (!File.Exists(EtcdCluster.Etcd) || !File.Exists(EtcdCluster.Etcdctl))
        {
            Assert.Ignore("etcd-server and etcd-client are not installed (tests/install-deps.sh installs them)");
        }
        var lan = new TestLan(5, ipv6: true);
        try
        {
            return (lan, new EtcdCluster(lan));
        }
        catch
        {
            lan.Dispose();
            throw;
        }
    }

    static string Control(TestLan lan, int node) => Path.Combine(lan.Directory, $"ctl-{node}.sock");

    /// <summary>Node <paramref name="node"/>'s file: every address, its advskew, no scripts (the state is read with ucarpctl).</summary>
    static string Config(TestLan lan, EtcdCluster etcd, int node, int advskew)
    {
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"defaults --interface=eth0 --srcip={TestLan.Address6(node)} --pass=test --vhid=1 --advskew={advskew} --etcd={etcd.Endpoints}\n"));
        for (int i = 1; i <= Groups; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"group g{i} --addr={Vip(i)}\n");
        }
        string path = Path.Combine(lan.Directory, $"node{node}.conf");
        File.WriteAllText(path, text.ToString());
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    static UcarpProcess Daemon(TestLan lan, int node, string config) =>
        lan.StartRaw(node, Binaries.Clone, "--config=" + config, "--control=" + Control(lan, node));

    /// <summary>How many of the node's groups are MASTER now (-1: its control socket does not answer).</summary>
    static int Masters(TestLan lan, int node)
    {
        CtlResult status = Ucarpctl.Run(["--control=" + Control(lan, node), "status", "--json"]);
        if (status.Code != 0)
        {
            return -1;
        }
        using var json = System.Text.Json.JsonDocument.Parse(status.Out);
        return json.RootElement.GetProperty("groups").EnumerateArray().Count(g => g.GetProperty("state").GetString() == "MASTER");
    }

    /// <summary>The last lines of each daemon's log (a thousand groups say a lot).</summary>
    static string Tail(params UcarpProcess[] processes) =>
        string.Join("\n", processes.Select((p, i) => $"--- daemon {i + 1}:\n" + string.Join("\n", p.Lines.Take(25)) + "\n...\n" + string.Join("\n", p.Lines.TakeLast(25))));

    /// <summary>A holds every address, B none and has started (its groups are BACKUP).</summary>
    static (UcarpProcess, UcarpProcess) HolderAndBackup(TestLan lan, EtcdCluster etcd)
    {
        UcarpProcess a = Daemon(lan, A, Config(lan, etcd, A, 0));
        Assert.That(Wait.Until(() => Masters(lan, A) == Groups, TimeSpan.FromSeconds(30)), Is.True, Tail(a));
        UcarpProcess b = Daemon(lan, B, Config(lan, etcd, B, 100));
        Assert.That(Wait.Until(() => Masters(lan, B) == 0, TimeSpan.FromSeconds(30)), Is.True, Tail(a, b));
        // B has read the keys and settled.
        Assert.That(Wait.Until(() => b.Saw("The address is held by 2001:db8::4"), TimeSpan.FromSeconds(30)), Is.True, Tail(a, b));
        Assert.That(Wait.Throughout(() => Masters(lan, B) == 0, TimeSpan.FromSeconds(2)), Is.True, Tail(a, b));
        return (a, b);
    }

    [Serial]
    [Test]
    public void A_thousand_addresses_on_one_lease_per_node_survive_etcd_and_move_when_the_holder_dies()
    {
        var (lan, etcd) = Cluster();
        using (lan)
        {
            var (a, b) = HolderAndBackup(lan, etcd);
            string leases = etcd.Ctl("lease", "list");
            Assert.That(leases, Does.StartWith("found 2 leases"), leases);

            // Steady state: every call any member served, over 12 s (two sweeps each, twenty
            // renewals by the holder), for both daemons together.
            long before = etcd.AllCalls();
            var clock = Stopwatch.StartNew();
            Thread.Sleep(TimeSpan.FromSeconds(12));
            long calls = etcd.AllCalls() - before;
            double perNode = calls / clock.Elapsed.TotalSeconds / 2;
            TestContext.Out.WriteLine($"etcd requests in steady state: {perNode:F2} per node per second ({calls} in {clock.Elapsed.TotalSeconds:F1} s, {Groups} groups each)");
            Assert.That(perNode, Is.LessThanOrEqualTo(2.0), Tail(a, b));

            // etcd's leader killed, and back: nothing moves (sampled throughout).
            int leader = 0;
            Assert.That(Wait.Until(() => (leader = etcd.Leader()) != 0, Long), Is.True, "no etcd leader");
            etcd.Kill(leader);
            bool steady = Wait.Throughout(() => Masters(lan, A) == Groups && Masters(lan, B) == 0, TimeSpan.FromSeconds(6));
            etcd.Start(leader);
            Assert.That(steady, Is.True, "an address moved while etcd elected a leader\n" + Tail(a, b));
            Assert.That(Wait.Until(() => etcd.Leader() != 0, Long), Is.True, "no etcd leader after the restart");

            // The holder SIGKILLed: every address moves to B.
            clock.Restart();
            a.Signal("KILL");
            Assert.That(Wait.Until(() => Masters(lan, B) == Groups, TimeSpan.FromSeconds(15)), Is.True, Tail(a, b));
            double seconds = clock.Elapsed.TotalSeconds;
            TestContext.Out.WriteLine($"all {Groups} addresses MASTER on the other node {seconds:F2} s after the holder's SIGKILL (TTL {TtlSeconds} s)");
            // Measured 5.50-6.00 s in fresh-clone runs, in steps of 0.5 s: etcd's lessor looks
            // for expired leases every 500 ms, then a thousand keys are revoked and campaigned
            // for. The speed target is make bench's; this bound says every address moved, at
            // the TTL's pace, with one more lessor step than the slowest run seen.
            Assert.That(seconds, Is.LessThan(TtlSeconds + 3.5), Tail(a, b));
        }
    }

    [Serial]
    [Test]
    public void A_fast_restart_keeps_every_address_and_a_holder_cut_off_releases_all_before_the_other_holds_any()
    {
        var (lan, etcd) = Cluster();
        using (lan)
        {
            var (a, b) = HolderAndBackup(lan, etcd);

            // SIGKILL and start again at once (well within the TTL): the keys are taken back, B never holds one.
            a.Signal("KILL");
            Assert.That(a.WaitForExit(Short), Is.True);
            UcarpProcess again = Daemon(lan, A, Path.Combine(lan.Directory, $"node{A}.conf"));
            Assert.That(Wait.Throughout(() => Masters(lan, B) == 0, TimeSpan.FromSeconds(6)), Is.True, "B took an address\n" + Tail(again, b));
            Assert.That(Masters(lan, A), Is.EqualTo(Groups), Tail(again, b));
            // (Counted from etcd, not the log: a thousand groups' lines at once overflow the console, which the daemon does not wait for.)
            Assert.That(again.WaitFor("previous run: taking it back", Short), Is.True, Tail(again));

            // A cut off from etcd: sampled continuously, no moment where both hold something.
            for (int m = 1; m <= EtcdCluster.Members; m++)
            {
                lan.Ip("-n", lan.Node(A), "route", "add", "blackhole", TestLan.Address(m) + "/32");
            }
            var clock = Stopwatch.StartNew();
            double lastA = 0, firstB = double.MaxValue;
            while (clock.Elapsed < TimeSpan.FromSeconds(15))
            {
                double t = clock.Elapsed.TotalSeconds;
                if (Masters(lan, A) > 0)
                {
                    lastA = t;
                }
                int onB = Masters(lan, B);
                if (onB > 0 && firstB == double.MaxValue)
                {
                    firstB = clock.Elapsed.TotalSeconds;
                }
                if (onB == Groups)
                {
                    break;
                }
            }
            TestContext.Out.WriteLine($"cut off: A held its last address until {lastA:F2} s, B held its first from {firstB:F2} s");
            Assert.That(Masters(lan, B), Is.EqualTo(Groups), Tail(again, b));
            Assert.That(lastA, Is.LessThan(firstB), Tail(again, b));
            Assert.That(again.Lines.Count(l => l.Contains("etcd lease not renewed for", StringComparison.Ordinal)), Is.EqualTo(1),
                        "the fence is said once for every address\n" + Tail(again));
            // etcd has every key on B's lease now.
            string keys = etcd.Ctl("get", "--prefix", "/ucarp/", "--print-value-only");
            Assert.That(keys.Split('\n').Count(l => l.Contains("\"holder\":\"2001:db8::5\"", StringComparison.Ordinal)), Is.EqualTo(Groups));
        }
    }
}
