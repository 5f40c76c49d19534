using System.Text.Json;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// --check-weight on real namespaces: a failing check raises the node's advskew instead
/// of taking it out, so the healthy node holds the address and, when every check fails,
/// the least bad one still does. Each node's check reads a file the test removes.
/// </summary>
public class CheckWeightTests : NamespaceTest
{
    static string Healthy(TestLan lan, int i) => Path.Combine(lan.Directory, $"healthy-{i}");

    static string[] Weighted(TestLan lan, int i, string advskew) =>
        ["-k", advskew, "-P", "--check", $"test -e {Healthy(lan, i)}", "--check-interval=0.2", "--check-weight=100"];

    static int? InUse(string stateFile)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(stateFile));
            return doc.RootElement.GetProperty("advskew_in_use").GetInt32();
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null; // not written yet
        }
    }

    /// <summary>The advskews node 1 advertised, each run of equal values once: 0, 100, 0.</summary>
    static int[] SkewRuns(List<Frame> frames)
    {
        int[] skews = [.. frames.Where(f => f.IsCarp && f.IpSource == TestLan.Address(1)).Select(f => f.AdvSkew)];
        return [.. skews.Where((s, i) => i == 0 || skews[i - 1] != s)];
    }

    [Test]
    public void Weights_move_the_address_to_the_healthy_node_and_keep_it_somewhere_when_all_fail()
    {
        using var lan = new TestLan(2);
        File.WriteAllText(Healthy(lan, 1), "");
        File.WriteAllText(Healthy(lan, 2), "");
        string state = Path.Combine(lan.Directory, "n1.json");
        using UcarpProcess a = lan.Start(1, Binary("clone"), [.. Weighted(lan, 1, "0"), "--state-file", state]);
        using UcarpProcess b = lan.Start(2, Binary("clone"), Weighted(lan, 2, "50"));
        Assert.That(Wait.UntilSteady(() => lan.VipHolders().SequenceEqual([1]), TimeSpan.FromSeconds(1), Long), Is.True, Describe(lan, a, b));
        Assert.That(InUse(state), Is.EqualTo(0), Describe(lan, a, b));

        // Node 1's check fails: it advertises 0+100, node 2 (50, -P) preempts.
        File.Delete(Healthy(lan, 1));
        Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([2]), Long), Is.True, Describe(lan, a, b));
        Assert.That(a.WaitFor("[WARNING] Using advskew 0+100: check failing", Short), Is.True, Describe(lan, a, b));
        Assert.That(b.WaitFor("[WARNING] Putting MASTER down - preemption", Short), Is.True, Describe(lan, a, b));
        Assert.That(Wait.Until(() => InUse(state) == 100, Short), Is.True, Describe(lan, a, b));
        a.Signal("USR1");
        Assert.That(a.WaitFor("[INFO] BACKUP on eth0 id 42 (advskew 0+100: check failing)", Short), Is.True, Describe(lan, a, b));

        // Node 2's fails too: 150 against 100, so node 1, the least bad, takes it back and keeps it.
        File.Delete(Healthy(lan, 2));
        Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([1]), Long), Is.True, Describe(lan, a, b));
        // Five seconds are five advert intervals; a move would show within one.
        Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([1]), TimeSpan.FromSeconds(5)), Is.True, Describe(lan, a, b));

        // Node 2 recovers: back at 50 it preempts the degraded node 1.
        File.WriteAllText(Healthy(lan, 2), "");
        Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([2]), Long), Is.True, Describe(lan, a, b));
        Assert.That(b.WaitFor("[WARNING] Using advskew 50: check passing", Short), Is.True, Describe(lan, a, b));
    }

    [Test]
    public void A_debian_ucarp_backup_sees_only_the_higher_advskew_and_preempts_on_it()
    {
        using var lan = new TestLan(2);
        File.WriteAllText(Healthy(lan, 1), "");
        using UcarpProcess a = lan.Start(1, Binary("clone"), Weighted(lan, 1, "0"));
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        using UcarpProcess b = lan.Start(2, Binary("debian"), "-k", "50", "-P");
        Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([1]), TimeSpan.FromSeconds(4)), Is.True,
                    "a healthy 0 is preferred to Debian's 50\n" + Describe(lan, a, b));

        using Capture capture = lan.StartCapture("proto 112");
        Assert.That(Wait.Until(() => SkewRuns(capture.Current()).SequenceEqual([0]), Short), Is.True, Describe(lan, a, b));
        File.Delete(Healthy(lan, 1));
        Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([2]), Long), Is.True, Describe(lan, a, b));
        Assert.That(b.WaitFor("[WARNING] Putting MASTER down - preemption", Short), Is.True, Describe(lan, a, b));
        Assert.That(a.WaitFor("[WARNING] Preferred master advertised: going back to BACKUP state", Short), Is.True, Describe(lan, a, b));

        // Healthy again, node 1 (-P) takes the address back from Debian's ucarp.
        File.WriteAllText(Healthy(lan, 1), "");
        Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([1]), Long), Is.True, Describe(lan, a, b));
        // Ucarp.Net's adverts carry 0, then 100 while failing, then 0 again: plain CARP advskew, nothing else.
        Assert.That(Wait.Until(() => SkewRuns(capture.Current()).SequenceEqual([0, 100, 0]), Short), Is.True,
                    string.Join(",", SkewRuns(capture.Current())) + "\n" + Describe(lan, a, b));
        Assert.That(b.Output, Does.Not.Contain("Bad"), "Debian's ucarp accepted every advert\n" + Describe(lan, a, b));
    }

    /// <summary>
    /// etcd mode on Debian's etcd-server 3.4 (members on nodes 1-3): the failing holder
    /// rewrites its record with the higher advskew (a transaction comparing the key's
    /// lease), the healthy -P node reads it and asks for the address.
    /// </summary>
    [Test]
    public void In_etcd_mode_the_holders_record_carries_the_weight_and_a_healthy_P_node_takes_over()
    {
        if (!File.Exists(EtcdCluster.Etcd) || !File.Exists(EtcdCluster.Etcdctl))
        {
            Assert.Ignore("etcd-server and etcd-client are not installed (tests/install-deps.sh installs them)");
        }
        using var lan = new TestLan(5);
        var etcd = new EtcdCluster(lan);
        File.WriteAllText(Healthy(lan, 4), "");
        File.WriteAllText(Healthy(lan, 5), "");
        using UcarpProcess a = lan.Start(4, Binaries.Clone, [.. etcd.ClientOptions(), .. Weighted(lan, 4, "0")]);
        Assert.That(Wait.Until(() => lan.HoldsVip(4), Long), Is.True, Describe(lan, a));
        using UcarpProcess b = lan.Start(5, Binaries.Clone, [.. etcd.ClientOptions(), .. Weighted(lan, 5, "50")]);
        Assert.That(b.WaitFor("The address is held by 192.0.2.4 (advskew 0,", Long), Is.True, Describe(lan, a, b));

        File.Delete(Healthy(lan, 4));
        Assert.That(b.WaitFor("The address is held by 192.0.2.4 (advskew 100,", Long), Is.True, "the record rewritten\n" + Describe(lan, a, b));
        Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([5]), Long), Is.True, Describe(lan, a, b));
        string get = etcd.Ctl("get", "/ucarp/192.0.2.100");
        Assert.That(get, Does.Contain("\"holder\":\"192.0.2.5\",\"advskew\":50"), get);
        Assert.That(a.Saw("etcd unreachable"), Is.False, "the rewrite is a transaction etcd accepts\n" + Describe(lan, a, b));

        File.WriteAllText(Healthy(lan, 4), "");
        Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([4]), Long), Is.True, Describe(lan, a, b));
    }
}
