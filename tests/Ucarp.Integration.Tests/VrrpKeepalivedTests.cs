using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// --vrrp groups against Debian's keepalived (2.2) in one VRRP group on a namespace LAN: our
/// daemon on node 1, keepalived on node 2 (<see cref="Keepalived"/>), adverts every second.
/// Each side shows it accepts the other's adverts by what it does: a backup that stays
/// backup past its master-down interval, a master that yields to a higher priority,
/// keepalived's "received lower priority ... discarding" line (written only for an advert
/// that passed its checks), a priority-0 advert answered after the skew time. Times are
/// measured on the bridge (tcpdump) and printed; their bounds have a second of slack, so
/// the tests run beside the others. Wireshark's dissector reads our adverts.
/// </summary>
public class VrrpKeepalivedTests : NamespaceTest
{
    const int Ours = 1, Theirs = 2;
    const string Filter = "ip proto 112 or ip6 proto 112";
    /// <summary>A window that shows a backup stays backup: past a master-down interval at priority 100 (3.61 s).</summary>
    static readonly TimeSpan PastVrrpMasterDown = TimeSpan.FromSeconds(4.6);
    /// <summary>What load may add to a protocol time before a bound is missed (the tests run side by side).</summary>
    const double SlackMs = 1000;

    /// <summary>RFC 5798 6.1 (and RFC 3768's, at one second): the skew time at a priority.</summary>
    static double SkewMs(int priority, double intervalMs = 1000) => (256 - priority) * intervalMs / 256;

    static double MasterDownMs(int priority, double intervalMs = 1000) => 3 * intervalMs + SkewMs(priority, intervalMs);

    /// <summary>Our daemon on node 1 in VRRP group 42: the harness's usual arguments without -p/-k/-b.</summary>
    static UcarpProcess StartOurs(TestLan lan, int version, int priority, string source, params string[] extra) =>
        lan.StartRaw(Ours, Binary("clone"),
        [
            "-i", "eth0", "-s", source, "-v", "42", "-a", lan.VirtualAddress, $"--vrrp={version}",
            $"--priority={priority}", "--advert-int=1", "-u", lan.UpScript, "-d", lan.DownScript, .. extra,
        ]);

    static string Show(TestLan lan, UcarpProcess? ours, params Keepalived?[] keepaliveds) =>
        (ours is null ? "" : $"--- ours on node 1:\n{ours.Output}\n")
        + string.Join("\n", keepaliveds.Where(k => k is not null).Select(k => k!.Describe()))
        + "\n--- scripts:\n" + string.Join("\n", lan.ScriptCalls);

    static bool OursMaster(TestLan lan) => lan.HoldsVip(Ours);

    /// <summary>
    /// Keepalived at 200 against ours at 100, both ways round, on the group address:
    /// keepalived, started second, hears ours as a lower priority and preempts it; ours
    /// yields and stays backup past its master-down interval. keepalived's SIGTERM sends
    /// priority 0 and ours takes over after its skew time (0.61 s), not its master-down
    /// interval (3.61 s): we honour priority 0. keepalived back with nopreempt stays backup
    /// behind ours; ours SIGKILLed, it takes over after 3 intervals and its skew.
    /// </summary>
    [Test]
    public void Keepalived_at_200_preempts_ours_at_100_and_takes_over_both_ways()
    {
        Binaries.RequireTcpdump();
        Keepalived.Require();
        using var lan = new TestLan(2);
        using Capture capture = lan.StartCapture(Filter);
        using UcarpProcess ours = StartOurs(lan, 3, 100, TestLan.Address(Ours));
        Assert.That(Wait.Until(() => OursMaster(lan), Long), Is.True, Show(lan, ours));

        using (var first = new Keepalived(lan, Theirs, new KeepalivedInstance(200)))
        {
            // Logged only for an advert that passed all of keepalived's checks.
            Assert.That(first.WaitFor($"(VI) received lower priority (100) advert from {TestLan.Address(Ours)} - discarding", Short), Is.True,
                        "keepalived accepts our adverts\n" + Show(lan, ours, first));
            Assert.That(Wait.Until(() => first.HoldsVip && !OursMaster(lan), Long), Is.True, "keepalived preempts, ours yields\n" + Show(lan, ours, first));
            Assert.That(Wait.Until(() => first.Roles.SequenceEqual(["BACKUP", "MASTER"]), Short), Is.True, Show(lan, ours, first));
            Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([Theirs]), PastVrrpMasterDown), Is.True,
                        "ours hears keepalived's adverts and stays backup\n" + Show(lan, ours, first));

            first.Stop();
            Assert.That(Wait.Until(() => OursMaster(lan), Short), Is.True, "ours takes over on keepalived's priority 0\n" + Show(lan, ours, first));
            Assert.That(first.Saw("(VI) sent 0 priority"), Is.True, first.Output);
        }
        double handover = HandoverMs(capture, from: TestLan.Address(Theirs), to: TestLan.Address(Ours));
        TestContext.Out.WriteLine($"keepalived's priority 0 -> our first advert: {handover:F1} ms (skew time {SkewMs(100):F1} ms)");
        Assert.That(handover, Is.InRange(SkewMs(100) - 50, SkewMs(100) + SlackMs), "the skew time, not the master-down interval (3609 ms)");

        using var second = new Keepalived(lan, Theirs, new KeepalivedInstance(200) { NoPreempt = true });
        Assert.That(Wait.Until(() => second.Role == "BACKUP", Short), Is.True, second.Describe());
        Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([Ours]) && !second.Saw("Entering MASTER STATE"), PastVrrpMasterDown),
                    Is.True, "keepalived (nopreempt) hears ours and stays backup\n" + Show(lan, ours, second));

        ours.Signal("KILL");
        Assert.That(Wait.Until(() => second.HoldsVip, Long), Is.True, Show(lan, ours, second));
        double failover = FailoverMs(capture, from: TestLan.Address(Ours), to: TestLan.Address(Theirs));
        TestContext.Out.WriteLine($"ours SIGKILLed, our last advert -> keepalived's first: {failover:F1} ms (master-down {MasterDownMs(200):F1} ms)");
        Assert.That(failover, Is.InRange(MasterDownMs(200) - 50, MasterDownMs(200) + SlackMs));

        CheckOursMatchesKeepalived(capture.Stop(), TestLan.Address(Ours), TestLan.Address(Theirs), lan, ours);
    }

    /// <summary>
    /// The other way round: ours at 200 preempts keepalived's master at 100 (after its own
    /// master-down interval: keepalived's adverts are lower); keepalived logs BACKUP and
    /// stays backup past its master-down interval. Ours stopped with SIGTERM (-z) sends
    /// priority 0: keepalived takes over after its skew time. Ours back at 200 with
    /// --no-preempt stays backup; keepalived SIGKILLed, ours takes over after 3 intervals and
    /// its skew.
    /// </summary>
    [Test]
    public void Ours_at_200_preempts_keepalived_at_100_and_takes_over_both_ways()
    {
        Binaries.RequireTcpdump();
        Keepalived.Require();
        using var lan = new TestLan(2);
        using Capture capture = lan.StartCapture(Filter);
        using var theirs = new Keepalived(lan, Theirs, new KeepalivedInstance(100));
        Assert.That(Wait.Until(() => theirs.HoldsVip, Long), Is.True, theirs.Describe());

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (UcarpProcess first = StartOurs(lan, 3, 200, TestLan.Address(Ours), "-z"))
        {
            Assert.That(Wait.Until(() => OursMaster(lan) && !theirs.HoldsVip, Long), Is.True, "ours preempts\n" + Show(lan, first, theirs));
            TestContext.Out.WriteLine($"ours preempted keepalived {clock.ElapsedMilliseconds} ms after its start (its master-down {MasterDownMs(200):F1} ms)");
            Assert.That(theirs.WaitFor($"(VI) Master received advert from {TestLan.Address(Ours)} with higher priority 200, ours 100", Short), Is.True,
                        Show(lan, first, theirs));
            Assert.That(Wait.Until(() => theirs.Roles.SequenceEqual(["BACKUP", "MASTER", "BACKUP"]), Short), Is.True, theirs.Describe());
            long quietFrom = UnixMicros();
            Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([Ours]) && theirs.Role == "BACKUP", PastVrrpMasterDown), Is.True,
                        "keepalived hears ours and stays backup\n" + Show(lan, first, theirs));
            Assert.That(Adverts(capture.Current(), TestLan.Address(Theirs)).Where(f => f.Micros > quietFrom).Select(f => f.Hex), Is.Empty,
                        "a backup keepalived sends nothing");

            first.Signal("TERM");
            Assert.That(first.WaitForExit(Short), Is.True, first.Output);
            Assert.That(Wait.Until(() => theirs.HoldsVip, Short), Is.True, "keepalived takes over on our priority 0\n" + Show(lan, first, theirs));
            Assert.That(OursMaster(lan), Is.False, "-z: our downscript removed the address\n" + Show(lan, first, theirs));
            Assert.That(theirs.WaitFor("(VI) Backup received priority 0 advertisement", Short), Is.True, theirs.Output);
        }
        double handover = HandoverMs(capture, from: TestLan.Address(Ours), to: TestLan.Address(Theirs));
        TestContext.Out.WriteLine($"our priority 0 -> keepalived's first advert: {handover:F1} ms (skew time {SkewMs(100):F1} ms)");
        Assert.That(handover, Is.InRange(SkewMs(100) - 50, SkewMs(100) + SlackMs), "the skew time, not the master-down interval (3609 ms)");

        using UcarpProcess second = StartOurs(lan, 3, 200, TestLan.Address(Ours), "--no-preempt");
        Assert.That(second.WaitFor("Switching to state: BACKUP", Short), Is.True, second.Output);
        Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([Theirs]) && !second.Saw("Switching to state: MASTER"), PastVrrpMasterDown), Is.True,
                    "--no-preempt: ours at 200 stays backup behind keepalived at 100\n" + Show(lan, second, theirs));

        theirs.Kill();
        Assert.That(Wait.Until(() => OursMaster(lan), Long), Is.True, Show(lan, second, theirs));
        double failover = FailoverMs(capture, from: TestLan.Address(Theirs), to: TestLan.Address(Ours));
        TestContext.Out.WriteLine($"keepalived SIGKILLed, its last advert -> our first: {failover:F1} ms (master-down {MasterDownMs(200):F1} ms)");
        Assert.That(failover, Is.InRange(MasterDownMs(200) - 50, MasterDownMs(200) + SlackMs));

        CheckOursMatchesKeepalived(capture.Stop(), TestLan.Address(Ours), TestLan.Address(Theirs), lan, second);
    }

    /// <summary>
    /// Our adverts against keepalived's, field by field: the same Ethernet and IP destination,
    /// TOS, fragment field (no DF), TTL, protocol; VRRP version and type, VRID, address count,
    /// interval and addresses; and each one's checksum, with the pseudo-header (RFC 5798).
    /// </summary>
    static void CheckOursMatchesKeepalived(List<Frame> captured, string ours, string theirs, TestLan lan, UcarpProcess process)
    {
        List<VrrpFrame> mine = Adverts(captured, ours), keepalived = Adverts(captured, theirs);
        Assert.That(mine, Is.Not.Empty);
        Assert.That(keepalived, Is.Not.Empty);
        VrrpFrame k = keepalived.First(f => f.Priority != 0);
        foreach (VrrpFrame m in mine)
        {
            Assert.That((m.EtherDestination, m.Destination, m.Tos, m.Fragment, m.Ttl, m.Version, m.Type, m.Vrid, m.Count, m.IntervalCentis, m.Addresses),
                        Is.EqualTo((k.EtherDestination, k.Destination, k.Tos, k.Fragment, k.Ttl, k.Version, k.Type, k.Vrid, k.Count, k.IntervalCentis, k.Addresses)),
                        $"ours {m.Hex}\nkeepalived's {k.Hex}\n{Show(lan, process)}");
            Assert.That(m.PseudoChecksumGood, Is.True, "pseudo-header checksum: " + m.Hex);
        }
        Assert.That(keepalived.All(f => f.PseudoChecksumGood), Is.True);
        Assert.That(mine.Select(f => f.Priority).Distinct(), Is.SubsetOf(new[] { 0, 100, 200 }));
    }

    /// <summary>
    /// The handshake the variants below share, ours on node 1 and keepalived on node 2: ours
    /// at 100 alone becomes master; keepalived at 200 starts, logs that it discards our
    /// (lower, valid) adverts, takes over, and ours yields (it accepted keepalived's); then
    /// keepalived's SIGTERM (priority 0) gives ours the address back after its skew time.
    /// With <paramref name="refused"/>, keepalived logs that instead of the discard line.
    /// </summary>
    static List<Frame> Handshake(TestLan lan, Capture capture, Func<UcarpProcess> startOurs, string oursSource, string theirsSource,
                                 KeepalivedInstance instance, string? refused = null)
    {
        using UcarpProcess ours = startOurs();
        Assert.That(Wait.Until(() => OursMaster(lan), Long), Is.True, Show(lan, ours));
        using (var theirs = new Keepalived(lan, Theirs, instance with { Priority = 200 }))
        {
            string accepted = $"(VI) received lower priority (100) advert from {oursSource} - discarding";
            Assert.That(theirs.WaitFor(refused ?? accepted, Short), Is.True, $"keepalived's verdict on our adverts\n{Show(lan, ours, theirs)}");
            Assert.That(Wait.Until(() => theirs.HoldsVip && !OursMaster(lan), Long), Is.True, "keepalived takes over, ours yields\n" + Show(lan, ours, theirs));
            Assert.That(theirs.Saw(accepted), Is.EqualTo(refused is null), theirs.Output);
            theirs.Stop();
            Assert.That(Wait.Until(() => OursMaster(lan), Short), Is.True, "ours takes over on keepalived's priority 0\n" + Show(lan, ours, theirs));
        }
        double handover = HandoverMs(capture, from: theirsSource, to: oursSource);
        List<Frame> frames = capture.Stop();
        TestContext.Out.WriteLine($"keepalived's priority 0 -> our first advert: {handover:F1} ms (skew time {SkewMs(100):F1} ms)");
        Assert.That(handover, Is.InRange(SkewMs(100) - 50, SkewMs(100) + SlackMs), Show(lan, ours));
        return frames;
    }

    /// <summary>
    /// Unicast: keepalived with unicast_src_ip and unicast_peer, ours with --peer. Every advert
    /// goes to the other node's address, none to 224.0.0.18, and each carries a pseudo-header
    /// checksum summed for that destination.
    /// </summary>
    [Test]
    public void Unicast_peers_elect_and_hand_over_with_keepalived()
    {
        Binaries.RequireTcpdump();
        Keepalived.Require();
        using var lan = new TestLan(2);
        string a = TestLan.Address(Ours), b = TestLan.Address(Theirs);
        using Capture capture = lan.StartCapture(Filter);
        List<Frame> frames = Handshake(lan, capture, () => StartOurs(lan, 3, 100, a, "--peer", b), a, b,
                                       new KeepalivedInstance(200) { UnicastSource = b, UnicastPeers = [a] });
        List<VrrpFrame> mine = Adverts(frames, a), theirs = Adverts(frames, b);
        Assert.That(mine, Is.Not.Empty);
        Assert.That(mine.All(f => f.Destination == b && f.Ttl == 255 && f.PseudoChecksumGood), Is.True, string.Join("\n", mine.Select(f => f.Hex)));
        Assert.That(theirs.All(f => f.Destination == a && f.PseudoChecksumGood), Is.True, string.Join("\n", theirs.Select(f => f.Hex)));
    }

    /// <summary>
    /// IPv6: keepalived sends from eth0's link-local address to ff02::12; so does ours, given
    /// its link-local address as -s. The virtual address is 2001:db8::100.
    /// </summary>
    [Test]
    public void Ipv6_from_link_local_addresses_elects_and_hands_over_with_keepalived()
    {
        Binaries.RequireTcpdump();
        Keepalived.Require();
        using var lan = new TestLan(2, ipv6: true);
        string a = LinkLocal(lan, Ours), b = LinkLocal(lan, Theirs);
        using Capture capture = lan.StartCapture(Filter);
        List<Frame> frames = Handshake(lan, capture, () => StartOurs(lan, 3, 100, a), a, b, new KeepalivedInstance(200));
        List<VrrpFrame> mine = Adverts(frames, a), theirs = Adverts(frames, b);
        Assert.That(mine, Is.Not.Empty);
        Assert.That(theirs, Is.Not.Empty);
        VrrpFrame k = theirs[0];
        Assert.That((k.Destination, k.EtherDestination, k.Ttl), Is.EqualTo(("ff02::12", "333300000012", 255)), "keepalived, for reference");
        Assert.That(mine.All(f => (f.Destination, f.EtherDestination, f.Ttl, f.Version, f.Vrid, f.IntervalCentis, f.Addresses)
                                  == (k.Destination, k.EtherDestination, k.Ttl, k.Version, k.Vrid, k.IntervalCentis, k.Addresses)
                                  && f.PseudoChecksumGood), Is.True, $"ours {string.Join("\n", mine.Select(f => f.Hex))}\nkeepalived's {k.Hex}");
    }

    /// <summary>
    /// VRRPv2, without authentication and with a PASS password on both sides: the same
    /// handshake; our adverts carry the auth type, the interval in seconds and the password
    /// padded to 8 bytes, with the VRRPv2 checksum (the message alone).
    /// </summary>
    [TestCase(null)]
    [TestCase("s3cret")]
    public void Version_2_elects_and_hands_over_with_keepalived(string? password)
    {
        Binaries.RequireTcpdump();
        Keepalived.Require();
        using var lan = new TestLan(2);
        string a = TestLan.Address(Ours), b = TestLan.Address(Theirs);
        using Capture capture = lan.StartCapture(Filter);
        string[] auth = password is null ? [] : ["-p", password];
        List<Frame> frames = Handshake(lan, capture, () => StartOurs(lan, 2, 100, a, auth), a, b,
                                       new KeepalivedInstance(200) { Version = 2, Password = password });
        List<VrrpFrame> mine = Adverts(frames, a), theirs = Adverts(frames, b);
        Assert.That(mine, Is.Not.Empty);
        VrrpFrame k = theirs.First(f => f.Priority != 0);
        Assert.That(k.AuthType, Is.EqualTo(password is null ? 0 : 1), "keepalived, for reference: " + k.Hex);
        foreach (VrrpFrame m in mine)
        {
            Assert.That((m.Version, m.Type, m.Vrid, m.Count, m.AuthType, m.IntervalCentis, m.AuthData, m.Tos, m.Fragment, m.Ttl),
                        Is.EqualTo((k.Version, k.Type, k.Vrid, k.Count, k.AuthType, k.IntervalCentis, k.AuthData, k.Tos, k.Fragment, k.Ttl)),
                        $"ours {m.Hex}\nkeepalived's {k.Hex}");
            Assert.That(m.MessageChecksumGood, Is.True, m.Hex);
        }
    }

    /// <summary>
    /// VRRPv2 with different passwords: each refuses the other's adverts, so each is master.
    /// keepalived says "invalid passwd"; ours counts bad_auth and says why.
    /// </summary>
    [Test]
    public void Version_2_with_a_wrong_password_each_side_refuses_the_other()
    {
        Keepalived.Require();
        using var lan = new TestLan(2);
        string metrics = Path.Combine(lan.Directory, "ours.prom");
        using UcarpProcess ours = StartOurs(lan, 2, 100, TestLan.Address(Ours), "-p", "right", "--metrics-file", metrics);
        using var theirs = new Keepalived(lan, Theirs, new KeepalivedInstance(200) { Version = 2, Password = "wrong" });
        Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([Ours, Theirs]), Long), Is.True, "each is master\n" + Show(lan, ours, theirs));
        Assert.That(theirs.WaitFor("(VI) received an invalid passwd!", Short), Is.True, theirs.Output);
        Assert.That(ours.WaitFor("Bad VRRP authentication", Short), Is.True, ours.Output);
        // A valid advert of priority 200 would have ours yield within an interval.
        Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([Ours, Theirs]), TimeSpan.FromSeconds(2.5)), Is.True, Show(lan, ours, theirs));
        // >= 1: one run under the full suite counted a single one in 5 s of keepalived mastership
        // (not reproduced alone); noted in the issue to find, not hidden by a longer wait.
        Assert.That(Wait.Until(() => Rejected(metrics, "bad_auth") >= 1, Short), Is.True, File.Exists(metrics) ? File.ReadAllText(metrics) : "no metrics file");
        Assert.That(theirs.Saw("with lower priority"), Is.False, theirs.Output);
    }

    /// <summary>
    /// Ours with --vrrp-checksum=rfc (no pseudo-header, as RFC 3768's) against a keepalived
    /// without v3_checksum_as_v2: keepalived refuses our adverts ("Invalid VRRPv3 checksum"),
    /// while ours accepts keepalived's pseudo-header form (both are accepted on receipt) and
    /// yields to it. The form is checked on the wire.
    /// </summary>
    [Test]
    public void Rfc_checksums_are_refused_by_a_keepalived_without_v3_checksum_as_v2_and_ours_still_accepts_its_form()
    {
        Binaries.RequireTcpdump();
        Keepalived.Require();
        using var lan = new TestLan(2);
        string a = TestLan.Address(Ours), b = TestLan.Address(Theirs);
        using Capture capture = lan.StartCapture(Filter);
        List<Frame> frames = Handshake(lan, capture, () => StartOurs(lan, 3, 100, a, "--vrrp-checksum=rfc"), a, b,
                                       new KeepalivedInstance(200), refused: "(VI) Invalid VRRPv3 checksum");
        List<VrrpFrame> mine = Adverts(frames, a), theirs = Adverts(frames, b);
        Assert.That(mine.All(f => f.MessageChecksumGood && !f.PseudoChecksumGood), Is.True, string.Join("\n", mine.Select(f => f.Hex)));
        Assert.That(theirs.All(f => f.PseudoChecksumGood && !f.MessageChecksumGood), Is.True, string.Join("\n", theirs.Select(f => f.Hex)));
    }

    /// <summary>
    /// keepalived's v3_checksum_as_v2 (keepalived 2.2.8 on) against ours with
    /// --vrrp-checksum=rfc, and against ours by default (the pseudo-header form, which ours
    /// sends while it accepts keepalived's form). Skipped on a keepalived without the keyword
    /// (Debian 12's 2.2.7).
    /// </summary>
    [TestCase("rfc")]
    [TestCase("pseudo")]
    public void With_keepalived_v3_checksum_as_v2_ours_elects_and_hands_over(string ourForm)
    {
        Binaries.RequireTcpdump();
        if (!Keepalived.Knows("v3_checksum_as_v2"))
        {
            Assert.Ignore($"{Keepalived.Version} has no v3_checksum_as_v2 (keepalived 2.2.8 added it)");
        }
        using var lan = new TestLan(2);
        string a = TestLan.Address(Ours), b = TestLan.Address(Theirs);
        using Capture capture = lan.StartCapture(Filter);
        List<Frame> frames = Handshake(lan, capture, () => StartOurs(lan, 3, 100, a, $"--vrrp-checksum={ourForm}"), a, b,
                                       new KeepalivedInstance(200) { V3ChecksumAsV2 = true });
        List<VrrpFrame> mine = Adverts(frames, a), theirs = Adverts(frames, b);
        Assert.That(mine.All(f => ourForm == "rfc" ? f.MessageChecksumGood && !f.PseudoChecksumGood : f.PseudoChecksumGood),
                    Is.True, string.Join("\n", mine.Select(f => f.Hex)));
        Assert.That(theirs.All(f => f.MessageChecksumGood && !f.PseudoChecksumGood), Is.True, string.Join("\n", theirs.Select(f => f.Hex)));
    }

    /// <summary>
    /// Wireshark's VRRP dissector reads our adverts, four groups at once on one LAN: v2 with
    /// a password, v3 IPv4 with each checksum form, v3 IPv6. None is malformed or has a bad
    /// checksum when the dissector is told the form (vrrp.v3_checksum_as_in_v2); told the
    /// other form, the IPv4 v3 ones do (the dissector does check).
    /// </summary>
    [Test]
    public void Wireshark_reads_our_vrrp_adverts_without_complaint()
    {
        Binaries.RequireTcpdump();
        Binaries.RequireTshark();
        using var lan = new TestLan(4, ipv6: true);
        string v6 = LinkLocal(lan, 4);
        using Capture capture = lan.StartCapture(Filter);
        UcarpProcess Group(int node, string source, string vip, params string[] vrrp) =>
            lan.StartRaw(node, Binary("clone"), ["-i", "eth0", "-s", source, "-v", node.ToString(CultureInfo.InvariantCulture), "-a", vip,
                                                 "--priority=200", "--advert-int=1", "-u", "/bin/true", "-d", "/bin/true", .. vrrp]);
        using UcarpProcess v2 = Group(1, TestLan.Address(1), "192.0.2.101", "--vrrp=2", "-p", "s3cret");
        using UcarpProcess pseudo = Group(2, TestLan.Address(2), "192.0.2.102", "--vrrp=3");
        using UcarpProcess rfc = Group(3, TestLan.Address(3), "192.0.2.103", "--vrrp=3", "--vrrp-checksum=rfc");
        using UcarpProcess ipv6 = Group(4, v6, TestLan.Vip6, "--vrrp=3");
        string sources = string.Join(" ", TestLan.Address(1), TestLan.Address(2), TestLan.Address(3), v6);
        Assert.That(Wait.Until(() => sources.Split(' ').All(s => Adverts(capture.Current(), s).Count >= 2), Long), Is.True,
                    string.Join("\n", new[] { v2, pseudo, rfc, ipv6 }.Select(p => p.Output)));
        string file = capture.FilePath;
        capture.Stop();

        string fields(bool asV2, string filter) => Tshark(file, asV2, filter, "ip.src", "ipv6.src", "vrrp.version", "vrrp.virt_rtr_id",
                                                           "vrrp.prio", "vrrp.checksum.status", "_ws.malformed", "_ws.expert.message");
        string rfcRead = fields(true, "ip.src == 192.0.2.3");
        string othersRead = fields(false, "!(ip.src == 192.0.2.3)");
        TestContext.Out.WriteLine("tshark:\n" + rfcRead + "\n" + othersRead);
        string[] rows = [.. (rfcRead + "\n" + othersRead).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
        Assert.That(rows, Has.Length.GreaterThanOrEqualTo(8), rfcRead + "\n" + othersRead);
        foreach (string row in rows)
        {
            string[] f = row.Split('\t');
            // checksum.status 1: computed and good; no malformed field, no expert message.
            Assert.That((f[5], f[6], f[7]), Is.EqualTo(("1", "", "")), row);
        }
        Assert.That(rows.Select(r => string.Join(" ", r.Split('\t')[0..5])).Distinct().Order(),
                    Is.EqualTo(new[] { "192.0.2.1  2 1 200", "192.0.2.2  3 2 200", "192.0.2.3  3 3 200", $" {v6} 3 4 200" }.Order()),
                    string.Join("\n", rows));

        // The control: the IPv4 v3 adverts read with the other checksum form are reported bad.
        string swapped = fields(false, "ip.src == 192.0.2.3") + "\n" + fields(true, "ip.src == 192.0.2.2");
        string[] bad = [.. swapped.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
        Assert.That(bad, Is.Not.Empty);
        Assert.That(bad.All(r => r.Split('\t')[5] == "0" && r.Split('\t')[7].Length > 0), Is.True, swapped);
    }

    static string Tshark(string file, bool v3ChecksumAsV2, string displayFilter, params string[] fields)
    {
        var args = new List<string>
        {
            "-r", file, "-o", "vrrp.v3_checksum_as_in_v2:" + (v3ChecksumAsV2 ? "TRUE" : "FALSE"), "-Y", $"vrrp && ({displayFilter})", "-T", "fields",
        };
        foreach (string f in fields)
        {
            args.AddRange(["-e", f]);
        }
        return string.Join("\n", Shell.Run("tshark", [.. args]).Split('\n').Where(l => !l.StartsWith("Running as user", StringComparison.Ordinal)));
    }

    /// <summary>Node i's link-local address on eth0, once it has passed duplicate address detection.</summary>
    static string LinkLocal(TestLan lan, int i)
    {
        string line = "";
        Assert.That(Wait.Until(() => (line = lan.Ip("-n", lan.Node(i), "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link")).Contains("fe80", StringComparison.Ordinal)
                                     && !line.Contains("tentative", StringComparison.Ordinal), Long), Is.True, line);
        string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words[Array.IndexOf(words, "inet6") + 1].Split('/')[0];
    }

    /// <summary>The count in ucarp_rejected_total for a reason (0 when absent).</summary>
    static long Rejected(string metrics, string reason) =>
        !File.Exists(metrics) ? 0 :
        File.ReadAllLines(metrics).Where(l => l.StartsWith("ucarp_rejected_total{", StringComparison.Ordinal) && l.Contains($"reason=\"{reason}\"", StringComparison.Ordinal))
            .Select(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)).Sum();

    /// <summary>The VRRP adverts from one source address, in capture order.</summary>
    static List<VrrpFrame> Adverts(List<Frame> frames, string source) =>
        [.. frames.Select(VrrpFrame.From).OfType<VrrpFrame>().Where(f => f.Source == source)];

    /// <summary>Now on the clock pcap's timestamps are on, in µs.</summary>
    static long UnixMicros() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

    /// <summary>
    /// From the old master's (last) priority-0 advert to the new master's first advert after
    /// it, in ms; waits for that advert (a master may run its upscript before it sends).
    /// </summary>
    static double HandoverMs(Capture capture, string from, string to) =>
        Gap(capture, from, to, f => f.Priority == 0, "priority-0 advert");

    /// <summary>From the dead master's last advert (not priority 0: a crash) to the new master's first advert after it, in ms.</summary>
    static double FailoverMs(Capture capture, string from, string to)
    {
        double ms = Gap(capture, from, to, _ => true, "advert");
        Assert.That(Adverts(capture.Current(), from)[^1].Priority, Is.Not.Zero, "a crash sends no priority 0");
        return ms;
    }

    static double Gap(Capture capture, string from, string to, Func<VrrpFrame, bool> which, string what)
    {
        VrrpFrame? last = Adverts(capture.Current(), from).LastOrDefault(which);
        Assert.That(last, Is.Not.Null, $"no {what} from {from}");
        VrrpFrame? next = null;
        Assert.That(Wait.Until(() => (next = Adverts(capture.Current(), to).FirstOrDefault(f => f.Micros > last!.Micros)) is not null, Short), Is.True,
                    $"no advert from {to} after {from}'s {what}");
        return (next!.Micros - last!.Micros) / 1000.0;
    }
}

/// <summary>A VRRP advert (v2 or v3, IPv4 or IPv6) seen on the bridge, its fields read independently of the daemon's codec.</summary>
sealed record VrrpFrame(long Micros, byte[] Bytes, int At)
{
    public static VrrpFrame? From(Frame f)
    {
        byte[] b = f.Bytes;
        if (b.Length >= 14 + 20 + 8 && b[12] == 0x08 && b[13] == 0x00 && b[14] >> 4 == 4 && b[23] == 112)
        {
            return new VrrpFrame(f.Micros, b, 14 + (b[14] & 0x0f) * 4);
        }
        if (b.Length >= 54 + 8 && b[12] == 0x86 && b[13] == 0xdd && b[20] == 112)
        {
            return new VrrpFrame(f.Micros, b, 54);
        }
        return null;
    }

    public bool Ipv6 => At == 54;
    public string Source => Ipv6 ? new IPAddress(Bytes.AsSpan(22, 16)).ToString() : new IPAddress(Bytes.AsSpan(26, 4)).ToString();
    public string Destination => Ipv6 ? new IPAddress(Bytes.AsSpan(38, 16)).ToString() : new IPAddress(Bytes.AsSpan(30, 4)).ToString();
    public string EtherDestination => Convert.ToHexString(Bytes, 0, 6);
    public int Ttl => Ipv6 ? Bytes[21] : Bytes[22];
    public int Tos => Ipv6 ? -1 : Bytes[15];
    /// <summary>The IPv4 flags and fragment offset (0x4000 is DF).</summary>
    public int Fragment => Ipv6 ? -1 : BinaryPrimitives.ReadUInt16BigEndian(Bytes.AsSpan(20));
    public int Version => Bytes[At] >> 4;
    public int Type => Bytes[At] & 0x0f;
    public int Vrid => Bytes[At + 1];
    public int Priority => Bytes[At + 2];
    public int Count => Bytes[At + 3];
    public int AuthType => Version == 2 ? Bytes[At + 4] : -1;
    /// <summary>v3: the 12-bit field in centiseconds; v2: the seconds byte, in centiseconds.</summary>
    public int IntervalCentis => Version == 3 ? BinaryPrimitives.ReadUInt16BigEndian(Bytes.AsSpan(At + 4)) & 0x0fff : Bytes[At + 5] * 100;
    int AddressSize => Ipv6 ? 16 : 4;
    /// <summary>The VRRP message: header, addresses and (v2) the 8 bytes of authentication data.</summary>
    int Length => 8 + Count * AddressSize + (Version == 2 ? 8 : 0);
    public string Addresses => string.Join(",", Enumerable.Range(0, Count).Select(i => new IPAddress(Bytes.AsSpan(At + 8 + i * AddressSize, AddressSize)).ToString()));
    public string AuthData => Version == 2 ? Convert.ToHexString(Bytes, At + 8 + Count * AddressSize, 8) : "";
    public string Hex => Convert.ToHexString(Bytes);

    /// <summary>The checksum over the VRRP message alone is right (VRRPv2's; v3 with the "rfc" form).</summary>
    public bool MessageChecksumGood => Bytes.Length >= At + Length && Fold(Sum(Bytes.AsSpan(At, Length), 0)) == 0xffff;

    /// <summary>The checksum over an IP pseudo-header (source, destination, protocol 112, length) and the message is right.</summary>
    public bool PseudoChecksumGood
    {
        get
        {
            if (Bytes.Length < At + Length)
            {
                return false;
            }
            Span<byte> pseudo = stackalloc byte[40];
            int n;
            if (Ipv6)
            {
                Bytes.AsSpan(22, 32).CopyTo(pseudo);
                pseudo[32..40].Clear();
                BinaryPrimitives.WriteUInt32BigEndian(pseudo[32..], (uint)Length);
                pseudo[39] = 112;
                n = 40;
            }
            else
            {
                Bytes.AsSpan(26, 8).CopyTo(pseudo);
                pseudo[8] = 0;
                pseudo[9] = 112;
                BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)Length);
                n = 12;
            }
            return Fold(Sum(Bytes.AsSpan(At, Length), Sum(pseudo[..n], 0))) == 0xffff;
        }
    }

    static long Sum(ReadOnlySpan<byte> data, long sum)
    {
        for (int i = 0; i + 1 < data.Length; i += 2)
        {
            sum += (data[i] << 8) | data[i + 1];
        }
        if (data.Length % 2 == 1)
        {
            sum += data[^1] << 8;
        }
        return sum;
    }

    static int Fold(long sum)
    {
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int)sum;
    }
}
