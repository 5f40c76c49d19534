using System.Globalization;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// --peer across a router: host 1 on 192.0.2.0/24, host 2 on 198.51.100.0/24, no multicast
/// between them; host 3 shares host 1's subnet. Adverts go by unicast through the kernel's
/// routing and arrive with TTL 254.
/// </summary>
public class UnicastTests : NamespaceTest
{
    static readonly string A = RoutedLan.Address(1), B = RoutedLan.Address(2), C = RoutedLan.Address(3);

    static (UcarpProcess, UcarpProcess) Pair(RoutedLan lan, string[] first, string[] second)
    {
        UcarpProcess a = lan.Start(1, Binary("clone"), ["--peer", B, .. first]);
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        UcarpProcess b = lan.Start(2, Binary("clone"), ["--peer", A, .. second]);
        Assert.That(Wait.Until(() => b.Saw("Switching to state: BACKUP"), Short), Is.True, Describe(lan, a, b));
        return (a, b);
    }

    static string Describe(RoutedLan lan, params UcarpProcess[] processes) =>
        string.Join("\n", processes.Select((p, i) => $"--- process {i + 1}:\n{p.Output}")) + "\n--- scripts:\n" + string.Join("\n", lan.ScriptCalls);

    static string IpDestination(Frame f) => $"{f.Bytes[30]}.{f.Bytes[31]}.{f.Bytes[32]}.{f.Bytes[33]}";

    [Test]
    public void The_lower_advskew_wins_across_the_router_by_unicast_adverts()
    {
        Binaries.RequireTcpdump();
        using var lan = new RoutedLan();
        var (a, b) = Pair(lan, ["-k", "0"], ["-k", "100"]);
        // From when both run: before B's daemon started, its kernel rightly answered A's adverts with ICMP.
        using Capture capture = lan.StartCapture(2, "proto 112 or icmp");
        using (a)
        using (b)
        {
            Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([1]) && !b.Saw("MASTER"), TimeSpan.FromSeconds(4)), Is.True,
                        Describe(lan, a, b));
            List<Frame> frames = capture.Stop();
            List<Frame> fromA = frames.Where(f => f.IsCarp && f.IpSource == A).ToList();
            List<Frame> fromB = frames.Where(f => f.IsCarp && f.IpSource == B).ToList();
            Assert.That(fromA.Count, Is.GreaterThanOrEqualTo(3), "A's adverts reach B across the router");
            Assert.That(fromA.All(f => IpDestination(f) == B && f.Bytes[22] == 254), Is.True, "unicast to B, one router hop (TTL 255 - 1)");
            Assert.That(fromB.All(f => IpDestination(f) == A && f.Bytes[22] == 255), Is.True, "B's own, unicast to A, TTL 255");
            Assert.That(frames.Any(f => IpDestination(f) == "224.0.0.18"), Is.False, "nothing to the group");
            // Each host has a socket for protocol 112, so the kernel does not answer adverts with "protocol unreachable".
            Assert.That(frames.Where(f => f.Bytes.Length > 23 && f.Bytes[23] == 1).Select(f => Convert.ToHexString(f.Bytes)), Is.Empty, "no ICMP");
        }
    }

    [Serial]
    [Test]
    public void The_backup_takes_over_after_sigkill_at_the_protocol_floor()
    {
        Binaries.RequireTcpdump();
        using var lan = new RoutedLan();
        using Capture capture = lan.StartCapture(2);
        var (a, b) = Pair(lan, ["-k", "0"], ["-k", "100"]);
        using (a)
        using (b)
        {
            Assert.That(Wait.Throughout(() => !b.Saw("MASTER"), PastMasterDown), Is.True, "the backup hears the master\n" + Describe(lan, a, b));
            a.Signal("KILL");
            Assert.That(Wait.Until(() => lan.HoldsVip(2), Long), Is.True, Describe(lan, a, b));
            Assert.That(Wait.Until(() => capture.Current().Any(f => f.IsArp && f.ArpSender == RoutedLan.Vip), Short), Is.True);
            List<Frame> frames = capture.Stop();
            Frame last = frames.Last(f => f.IsCarp && f.IpSource == A);
            Frame garp = frames.First(f => f.IsArp && f.ArpSender == RoutedLan.Vip && f.Micros > last.Micros);
            long failover = garp.Micros - last.Micros;
            const long floor = 3_000_000 + 100 * 1_000_000 / 256;
            TestContext.Out.WriteLine($"unicast failover across the router: {failover / 1000.0:F1} ms (floor {floor / 1000.0:F1} ms)");
            Assert.That(failover, Is.InRange(floor - 5_000, floor + 150_000));
        }
    }

    [Test]
    public void With_P_the_preferred_node_takes_the_address_back()
    {
        using var lan = new RoutedLan();
        using UcarpProcess b = lan.Start(2, Binary("clone"), "--peer", A, "-k", "100", "-P");
        Assert.That(Wait.Until(() => lan.HoldsVip(2), Long), Is.True, Describe(lan, b));
        using UcarpProcess a = lan.Start(1, Binary("clone"), "--peer", B, "-k", "0", "-P");
        Assert.That(Wait.UntilSteady(() => lan.VipHolders().SequenceEqual([1]), TimeSpan.FromSeconds(2), Long), Is.True, Describe(lan, a, b));
        Assert.That(a.WaitFor("[WARNING] Putting MASTER down - preemption", Short), Is.True, Describe(lan, a, b));
    }

    [Test]
    public void A_planned_stop_hands_over_at_once()
    {
        using var lan = new RoutedLan();
        var (a, b) = Pair(lan, ["-k", "0", "-z"], ["-k", "100"]);
        using (a)
        using (b)
        {
            Assert.That(Wait.Throughout(() => !b.Saw("MASTER"), PastMasterDown), Is.True, "the backup hears the master\n" + Describe(lan, a, b));
            a.Signal("TERM");
            Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([2]), Long), Is.True, Describe(lan, a, b));
            Assert.That(b.WaitFor("[WARNING] Putting MASTER DOWN (going to time out)", Short), Is.True, "taken over on the bow-out\n" + Describe(lan, a, b));
        }
    }

    /// <summary>
    /// Host 3, on host 1's subnet, runs with the same vhid and password and a better
    /// advskew, sending valid adverts to both: neither lists it, so nothing changes. Its
    /// adverts do not even reach them: the kernel filter of a --peer group takes its vhid
    /// from its peers only (without -D, which would log each as "Ignoring advert from").
    /// </summary>
    [Test]
    public void A_host_that_is_not_a_listed_peer_changes_nothing()
    {
        using var lan = new RoutedLan();
        string metrics = Path.Combine(lan.Directory, "a.prom");
        var (a, b) = Pair(lan, ["-k", "50", "--metrics-file", metrics], ["-k", "100"]);
        using (a)
        using (b)
        using (UcarpProcess c = lan.Start(3, Binary("clone"), "--peer", A, "--peer", B, "-k", "0", "-P"))
        {
            Assert.That(Wait.Until(() => lan.HoldsVip(3), Long), Is.True, "C hears no advert addressed to it, so it is master on its own\n" + Describe(lan, a, b, c));
            Assert.That(Wait.Throughout(() => lan.HoldsVip(1) && !lan.HoldsVip(2) && !b.Saw("MASTER") && a.Count("Switching to state") == 2,
                                        TimeSpan.FromSeconds(5)), Is.True, Describe(lan, a, b, c));
            // Five seconds of C's adverts, one a second, and none counted (the counter was 5 or more before the filter).
            Assert.That(NotFromPeer(metrics), Is.Zero, File.ReadAllText(metrics));
        }
    }

    /// <summary>
    /// A peer with no route to it: each send fails at once and is logged naming the peer;
    /// after three in a row the node advertises as a poor candidate, as ucarp does.
    /// </summary>
    [Test]
    public void An_unreachable_peer_is_a_failed_send_logged_and_counted()
    {
        using var lan = new RoutedLan();
        lan.Ip("-n", lan.Node(1), "route", "del", "default");
        using UcarpProcess a = lan.Start(1, Binary("clone"), "--peer", B, "-k", "10");
        Assert.That(a.WaitFor("[WARNING] write() has failed: Network is unreachable (peer 198.51.100.2)", Long), Is.True, a.Output);
        Assert.That(a.WaitFor("[ERROR] write() error #0/3", Short), Is.True, a.Output);
        Assert.That(Wait.Throughout(() => !a.HasExited, TimeSpan.FromSeconds(1)), Is.True, "it carries on");
    }

    static long NotFromPeer(string metrics) =>
        File.ReadAllLines(metrics).Where(l => l.StartsWith("ucarp_rejected_total{", StringComparison.Ordinal) && l.Contains("reason=\"not_from_peer\"", StringComparison.Ordinal))
            .Select(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)).Single();
}
