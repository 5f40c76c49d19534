using System.Globalization;
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
public class VrrpKeepalivedTests : VrrpInteropTest
{
    static string Show(TestLan lan, UcarpProcess? ours, params Keepalived?[] keepaliveds) =>
        (ours is null ? "" : $"--- ours on node 1:\n{ours.Output}\n")
        + string.Join("\n", keepaliveds.Where(k => k is not null).Select(k => k!.Describe()))
        + "\n--- scripts:\n" + string.Join("\n", lan.ScriptCalls);

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

        CheckOursMatch(capture.Stop(), TestLan.Address(Ours), TestLan.Address(Theirs), "keepalived's", Show(lan, ours));
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

        CheckOursMatch(capture.Stop(), TestLan.Address(Ours), TestLan.Address(Theirs), "keepalived's", Show(lan, second));
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
}
