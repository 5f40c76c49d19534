using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// --vrrp=3 groups against Debian's FRR (zebra and vrrpd, 8.4) in one VRRP group on a
/// namespace LAN: our daemon on node 1, FRR on node 2 (<see cref="Frr"/>: its macvlan
/// holds the address, in protodown while it is BACKUP), adverts every second. Each side
/// shows it accepts the other's adverts: vrrpd logs each advert that passed its checks
/// (size, version, checksum with the pseudo-header, type, address count) and says why it
/// drops one ("Datagram invalid"), which it never does for ours; ours counts no rejected
/// advert and takes FRR's priority as its master's. Preemption both ways, a crash and a
/// planned stop (priority 0) each way, IPv6 from link-local addresses, and our `rfc`
/// checksum form as the control (vrrpd drops it, and says so); times measured on
/// the bridge (tcpdump), printed, with bounds of a second's slack, so the tests run beside
/// the others.
/// </summary>
public class VrrpFrrTests : VrrpInteropTest
{
    static string Show(TestLan lan, UcarpProcess? ours, Frr? frr) =>
        (ours is null ? "" : $"--- ours on node 1:\n{ours.Output}\n") + frr?.Describe()
        + "\n--- scripts:\n" + string.Join("\n", lan.ScriptCalls);

    /// <summary>Node i's eth0 MAC address as <see cref="Frame.EtherSource"/> gives it ("0A1B2C3D4E5F").</summary>
    static string Mac(TestLan lan, int i)
    {
        string[] words = lan.Ip("-n", lan.Node(i), "-o", "link", "show", "dev", "eth0").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words[Array.IndexOf(words, "link/ether") + 1].Replace(":", "", StringComparison.Ordinal).ToUpperInvariant();
    }

    /// <summary>vrrpd never logged an advert it dropped, ours or another.</summary>
    static void NoComplaint(Frr frr, string context) =>
        Assert.That(frr.Output.Split('\n').Where(l => l.Contains("Datagram invalid", StringComparison.Ordinal)), Is.Empty, context);

    /// <summary>
    /// Ours at 100 alone becomes master; FRR at 200 starts, logs our adverts as received and
    /// discarded as lower (preemption), takes over after its master-down interval, and ours
    /// yields and stays backup past its own, learning FRR's priority. vrrpd SIGKILLed: ours
    /// takes over after its Master_Down_Interval (3 × 1 s + 156/256 s) and sends gratuitous
    /// ARPs for the address from its own MAC.
    /// </summary>
    [Test]
    public void Frr_at_200_preempts_ours_at_100_and_ours_takes_over_when_vrrpd_dies()
    {
        Binaries.RequireTcpdump();
        Frr.Require();
        using var lan = new TestLan(2);
        string a = TestLan.Address(Ours), b = TestLan.Address(Theirs), metrics = Path.Combine(lan.Directory, "ours.prom");
        using Capture capture = lan.StartCapture(Filter + " or arp");
        using UcarpProcess ours = StartOurs(lan, 3, 100, a, "--metrics-file", metrics);
        Assert.That(Wait.Until(() => OursMaster(lan), Long), Is.True, Show(lan, ours, null));

        long startedAt = UnixMicros();
        using var frr = new Frr(lan, Theirs, new FrrRouter(200));
        // Logged only for an advert that passed vrrpd's checks, then dropped as lower.
        Assert.That(frr.WaitFor($"Received VRRP Advertisement from {a}: version 3, type 1 (ADVERTISEMENT), vrid 42, priority 100, #1 addresses, max adver int 100", Short),
                    Is.True, "vrrpd accepts our adverts\n" + Show(lan, ours, frr));
        Assert.That(frr.WaitFor($"Discarding advertisement from {a} (100 < 200 & preempt = true)", Short), Is.True, Show(lan, ours, frr));
        Assert.That(Wait.Until(() => frr.Role == "Master" && !OursMaster(lan), Long), Is.True, "FRR preempts, ours yields\n" + Show(lan, ours, frr));
        // Ours yields at FRR's first advert: it sends nothing after it (but what was already on its way).
        VrrpFrame first = Adverts(capture.Current(), b)[0];
        Assert.That(Adverts(capture.Current(), a).Where(f => f.Micros > first.Micros + 50_000).Select(f => f.Hex), Is.Empty, Show(lan, ours, frr));
        TestContext.Out.WriteLine($"FRR {Frr.Version} at 200 preempted ours {(first.Micros - startedAt) / 1000.0:F1} ms after its start (its master-down 3210 ms)");
        Assert.That(frr.Roles, Is.EqualTo(new[] { "Backup", "Master" }), Show(lan, ours, frr));
        Assert.That(Wait.Throughout(() => frr.Role == "Master" && !OursMaster(lan), PastVrrpMasterDown), Is.True,
                    "ours hears FRR's adverts and stays backup\n" + Show(lan, ours, frr));
        Assert.That((frr.Protodown, frr.State().Status), Is.EqualTo((false, "Master")), Show(lan, ours, frr));
        Assert.That((File.Exists(metrics), Rejected(metrics), Metric(metrics, "ucarp_vrrp_master_priority")), Is.EqualTo((true, 0L, 200L)),
                    File.Exists(metrics) ? File.ReadAllText(metrics) : "no metrics file");
        Assert.That(Metric(metrics, "ucarp_adverts_received_total"), Is.GreaterThanOrEqualTo(4), File.ReadAllText(metrics));

        long killedAt = UnixMicros();
        frr.Kill();
        Assert.That(Wait.Until(() => OursMaster(lan), Long), Is.True, Show(lan, ours, frr));
        double failover = FailoverMs(capture, from: b, to: a);
        TestContext.Out.WriteLine($"vrrpd SIGKILLed, its last advert -> our first: {failover:F1} ms (master-down {MasterDownMs(100):F1} ms)");
        Assert.That(failover, Is.InRange(MasterDownMs(100) - 50, MasterDownMs(100) + SlackMs));
        string mac = Mac(lan, Ours);
        Assert.That(Wait.Until(() => capture.Current().Any(f => f.IsArp && f.ArpSender == TestLan.Vip && f.EtherSource == mac && f.Micros > killedAt), Short), Is.True,
                    "ours announces the address with a gratuitous ARP");
        Assert.That(Rejected(metrics), Is.Zero, File.ReadAllText(metrics));
        NoComplaint(frr, Show(lan, ours, frr));

        CheckOursMatch(capture.Stop(), a, b, "FRR's", Show(lan, ours, frr), theirsSetsDf: true);
    }

    /// <summary>
    /// The other way round: FRR at 100 alone becomes master; ours at 200 (-z) preempts it
    /// after its own master-down interval (FRR's adverts are lower) and vrrpd logs that it
    /// switches to backup; FRR stays backup, sends nothing and keeps its macvlan in protodown
    /// past its master-down interval. Ours SIGTERMed sends priority 0 after its downscript:
    /// FRR takes over after its Skew_Time (156/256 s), not its Master_Down_Interval. Then
    /// the control for the "vrrpd drops none of our adverts" checks: ours back at 200 with
    /// --vrrp-checksum=rfc (no pseudo-header), which vrrpd drops ("Bad VRRP checksum"), so
    /// FRR stays master beside ours; ours accepts FRR's form and counts no rejection.
    /// </summary>
    [Test]
    public void Ours_at_200_preempts_frr_at_100_frr_takes_over_on_our_priority_0_and_drops_rfc_checksums()
    {
        Binaries.RequireTcpdump();
        Frr.Require();
        using var lan = new TestLan(2);
        string a = TestLan.Address(Ours), b = TestLan.Address(Theirs), metrics = Path.Combine(lan.Directory, "ours.prom");
        using Capture capture = lan.StartCapture(Filter);
        using var frr = new Frr(lan, Theirs, new FrrRouter(100));
        Assert.That(Wait.Until(() => frr.Role == "Master", Long), Is.True, frr.Describe());

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (UcarpProcess ours = StartOurs(lan, 3, 200, a, "-z", "--metrics-file", metrics))
        {
            Assert.That(Wait.Until(() => OursMaster(lan) && frr.Role == "Backup", Long), Is.True, "ours preempts\n" + Show(lan, ours, frr));
            TestContext.Out.WriteLine($"ours preempted FRR {Frr.Version} {clock.ElapsedMilliseconds} ms after its start (its master-down {MasterDownMs(200):F1} ms)");
            Assert.That(frr.WaitFor($"Received advertisement from {a} w/ priority 200; switching to Backup", Short), Is.True, Show(lan, ours, frr));
            long quietFrom = UnixMicros();
            Assert.That(Wait.Throughout(() => OursMaster(lan) && frr.Role == "Backup", PastVrrpMasterDown), Is.True,
                        "FRR hears ours and stays backup\n" + Show(lan, ours, frr));
            Assert.That(Adverts(capture.Current(), b).Where(f => f.Micros > quietFrom).Select(f => f.Hex), Is.Empty, "a backup vrrpd sends nothing");
            FrrState state = frr.State();
            Assert.That((state.Status, frr.Protodown), Is.EqualTo(("Backup", true)), Show(lan, ours, frr));
            Assert.That(state.AdvertsReceived, Is.GreaterThanOrEqualTo(4), "vrrpd counts our adverts");
            Assert.That((File.Exists(metrics), Rejected(metrics)), Is.EqualTo((true, 0L)), File.Exists(metrics) ? File.ReadAllText(metrics) : "no metrics file");

            ours.Signal("TERM");
            Assert.That(ours.WaitForExit(Short), Is.True, ours.Output);
            Assert.That(Wait.Until(() => frr.Role == "Master", Short), Is.True, "FRR takes over on our priority 0\n" + Show(lan, ours, frr));
            Assert.That(OursMaster(lan), Is.False, "-z: our downscript removed the address\n" + Show(lan, ours, frr));
            Assert.That(frr.Saw($"Received VRRP Advertisement from {a}: version 3, type 1 (ADVERTISEMENT), vrid 42, priority 0,"), Is.True, frr.Output);
        }
        double handover = HandoverMs(capture, from: a, to: b);
        TestContext.Out.WriteLine($"our priority 0 -> FRR's first advert: {handover:F1} ms (skew time {SkewMs(100):F1} ms)");
        Assert.That(handover, Is.InRange(SkewMs(100) - 50, SkewMs(100) + SlackMs), "the skew time, not the master-down interval (3609 ms)");
        Assert.That(frr.Protodown, Is.False, frr.Describe());
        NoComplaint(frr, frr.Describe());
        CheckOursMatch(capture.Current(), a, b, "FRR's", Show(lan, null, frr), theirsSetsDf: true);

        long rfcFrom = UnixMicros();
        using UcarpProcess rfc = StartOurs(lan, 3, 200, a, "--vrrp-checksum=rfc", "--metrics-file", metrics);
        Assert.That(frr.WaitFor("Datagram invalid: Bad VRRP checksum", Long), Is.True, Show(lan, rfc, frr));
        Assert.That(Wait.Until(() => OursMaster(lan) && frr.Role == "Master", Long), Is.True, "each is master\n" + Show(lan, rfc, frr));
        // An advert of priority 200 that vrrpd accepted would have it back to backup at once.
        Assert.That(Wait.Throughout(() => OursMaster(lan) && frr.Role == "Master" && !frr.Protodown, TimeSpan.FromSeconds(2.5)), Is.True, Show(lan, rfc, frr));
        Assert.That((Rejected(metrics), Metric(metrics, "ucarp_adverts_received_total") > 0), Is.EqualTo((0L, true)), File.ReadAllText(metrics));
        List<VrrpFrame> mine = [.. Adverts(capture.Stop(), a).Where(f => f.Micros > rfcFrom)];
        Assert.That(mine, Is.Not.Empty);
        Assert.That(mine.All(f => f.MessageChecksumGood && !f.PseudoChecksumGood), Is.True, string.Join("\n", mine.Select(f => f.Hex)));
    }

    /// <summary>
    /// IPv6: vrrpd sends from its macvlan's link-local address to ff02::12, ours from eth0's
    /// (-s). The same handshake as over IPv4 with 2001:db8::100: FRR at 200 preempts ours at
    /// 100; its SIGTERM (priority 0) gives ours the address back after its skew time, and
    /// ours announces it with a Neighbour Advertisement.
    /// </summary>
    [Test]
    public void Ipv6_from_link_local_addresses_elects_and_hands_over_with_frr()
    {
        Binaries.RequireTcpdump();
        Frr.Require();
        using var lan = new TestLan(2, ipv6: true);
        string a = LinkLocal(lan, Ours), metrics = Path.Combine(lan.Directory, "ours.prom");
        using Capture capture = lan.StartCapture(Filter + " or icmp6");
        using UcarpProcess ours = StartOurs(lan, 3, 100, a, "--metrics-file", metrics);
        Assert.That(Wait.Until(() => OursMaster(lan), Long), Is.True, Show(lan, ours, null));
        string b;
        long stoppedAt;
        using (var frr = new Frr(lan, Theirs, new FrrRouter(200)))
        {
            Assert.That(frr.WaitFor($"Received VRRP Advertisement from {a}: version 3, type 1 (ADVERTISEMENT), vrid 42, priority 100, #1 addresses", Short),
                        Is.True, "vrrpd accepts our adverts\n" + Show(lan, ours, frr));
            Assert.That(Wait.Until(() => frr.Role == "Master" && !OursMaster(lan), Long), Is.True, "FRR preempts, ours yields\n" + Show(lan, ours, frr));
            b = frr.State().PrimaryAddress;
            Assert.That(b, Does.StartWith("fe80:"), "vrrpd's source: its macvlan's link-local address");
            Assert.That((Rejected(metrics), Metric(metrics, "ucarp_vrrp_master_priority")), Is.EqualTo((0L, 200L)), File.ReadAllText(metrics));
            stoppedAt = UnixMicros();
            frr.Stop();
            Assert.That(Wait.Until(() => OursMaster(lan), Short), Is.True, "ours takes over on FRR's priority 0\n" + Show(lan, ours, frr));
            NoComplaint(frr, Show(lan, ours, frr));
        }
        double handover = HandoverMs(capture, from: b, to: a);
        TestContext.Out.WriteLine($"FRR's priority 0 -> our first advert: {handover:F1} ms (skew time {SkewMs(100):F1} ms)");
        Assert.That(handover, Is.InRange(SkewMs(100) - 50, SkewMs(100) + SlackMs), "the skew time, not the master-down interval (3609 ms)");
        string mac = Mac(lan, Ours);
        Assert.That(Wait.Until(() => capture.Current().Any(f => f.IsNeighbourAdvert && f.NaTarget == TestLan.Vip6 && f.EtherSource == mac && f.Micros > stoppedAt), Short),
                    Is.True, "ours announces the address with a Neighbour Advertisement");
        Assert.That(Rejected(metrics), Is.Zero, File.ReadAllText(metrics));
        List<Frame> frames = capture.Stop();
        VrrpFrame k = Adverts(frames, b)[0];
        Assert.That((k.Destination, k.EtherDestination, k.Ttl), Is.EqualTo(("ff02::12", "333300000012", 255)), "FRR, for reference");
        CheckOursMatch(frames, a, b, "FRR's", Show(lan, ours, null), theirsSetsDf: true);
    }
}
