using System.Globalization;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// Sub-second intervals (-b 0 -k K) on the wire: failover in deadratio x K/256 s, adverts
/// on time, Debian's ucarp as a partner, the announcement refresh, and a pair that holds
/// steady while other processes keep every core busy.
/// </summary>
public class FastFailoverTests : NamespaceTest
{
    static long IntervalMicros(int k) => k * 1_000_000L / 256;

    /// <summary>
    /// The master dies; the backup (same -k, higher address) takes over three of its
    /// intervals after the last advert it heard, plus the upscript before the ARP.
    /// </summary>
    [Serial]
    [TestCase(26)]
    [TestCase(8)]
    public void The_backup_takes_over_three_intervals_after_the_last_advert(int k)
    {
        Binaries.RequireTcpdump();
        using var lan = new TestLan(2);
        using Capture capture = lan.StartCapture();
        string skew = k.ToString(CultureInfo.InvariantCulture);
        using UcarpProcess a = lan.Start(1, Binaries.Clone, "-b", "0", "-k", skew);
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        using UcarpProcess b = lan.Start(2, Binaries.Clone, "-b", "0", "-k", skew);
        Assert.That(Wait.Until(() => b.Saw("Switching to state: BACKUP"), Short), Is.True, Describe(lan, a, b));
        // Thirty master-down intervals and more: a backup that would take over, does.
        Assert.That(Wait.Throughout(() => !b.Saw("MASTER"), TimeSpan.FromSeconds(3)), Is.True, "the backup stays backup\n" + Describe(lan, a, b));

        a.Signal("KILL");
        Assert.That(Wait.Until(() => lan.HoldsVip(2), Long), Is.True, Describe(lan, a, b));
        Assert.That(Wait.Until(() => TakeoverArpSeen(capture), Short), Is.True, Describe(lan, a, b));
        List<Frame> frames = capture.Stop();

        long floor = 3 * k * 1_000_000L / 256;
        FailoverTests.Takeover takeover = FailoverTests.Measure(frames, lan, 1, 2);
        TestContext.Out.WriteLine($"-b 0 -k {k}: failover {takeover.Arp / 1000.0:F1} ms, floor {floor / 1000.0:F1} ms, " +
                                  $"{takeover.Arp / (double)IntervalMicros(k):F2} intervals\n{takeover}");
        // ucarp's single interval would be a third of the floor. The upscript runs before the
        // ARP; its own processes are the test's, and a loaded machine slows them, not the daemon.
        Assert.That(takeover.ScriptStarted, Is.GreaterThanOrEqualTo(floor - 2_000), "not before the master-down interval");
        Assert.That(takeover.WithoutScript, Is.InRange(floor - 2_000, floor + 60_000));
    }

    /// <summary>A lone master's adverts leave every K/256 s, to well under a millisecond.</summary>
    [Serial]
    [Test]
    public void Adverts_leave_on_time_at_12_ms()
    {
        Binaries.RequireTcpdump();
        using var lan = new TestLan(1);
        using Capture capture = lan.StartCapture("proto 112");
        using UcarpProcess a = lan.Start(1, Binaries.Clone, "-b", "0", "-k", "3");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        Thread.Sleep(3000);
        List<Frame> adverts = capture.Stop().Where(f => f.IsCarp).Skip(5).ToList();
        long interval = IntervalMicros(3);
        double[] lateness = adverts.Zip(adverts.Skip(1), (x, y) => Math.Abs(y.Micros - x.Micros - interval) / 1000.0).Order().ToArray();
        Assert.That(adverts, Has.Count.GreaterThan(200), "3 s of adverts every 11.7 ms");
        double median = lateness[lateness.Length / 2], p99 = lateness[lateness.Length * 99 / 100];
        TestContext.Out.WriteLine($"-k 3: {lateness.Length} gaps, |gap - 11.719 ms| median {median:F3} ms, p99 {p99:F3} ms, max {lateness[^1]:F3} ms");
        Assert.That(median, Is.LessThan(0.5));
        Assert.That(BaseAndSkew(adverts), Is.All.EqualTo(3), "every advert says advbase 0, advskew 3");
    }

    /// <summary>A gratuitous ARP for the VIP from another MAC than the first master's.</summary>
    static bool TakeoverArpSeen(Capture capture)
    {
        List<Frame> arps = capture.Current().Where(f => f.IsArp && f.ArpSender == TestLan.Vip).ToList();
        return arps.Count > 0 && arps.Any(f => f.EtherSource != arps[0].EtherSource);
    }

    static IEnumerable<int> BaseAndSkew(List<Frame> adverts) => adverts.Select(f => f.AdvBase * 1000 + f.AdvSkew);

    /// <summary>
    /// Debian's ucarp as master at -b 0 -k 20, the clone as backup at -k 26: the clone
    /// accepts its adverts, stays backup, and takes over 3 x 101.6 ms after the last one.
    /// </summary>
    [Serial]
    [Test]
    public void The_clone_backs_up_debian_ucarp_at_advbase_zero()
    {
        Binaries.RequireTcpdump();
        using var lan = new TestLan(2);
        using Capture capture = lan.StartCapture();
        using UcarpProcess a = lan.Start(1, Binary("debian"), "-b", "0", "-k", "20");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        using UcarpProcess b = lan.Start(2, Binaries.Clone, "-b", "0", "-k", "26");
        Assert.That(Wait.Until(() => b.Saw("Switching to state: BACKUP"), Short), Is.True, Describe(lan, a, b));
        Assert.That(Wait.Throughout(() => !b.Saw("MASTER") && lan.VipHolders().SequenceEqual([1]), TimeSpan.FromSeconds(4)), Is.True,
                    "the clone accepts ucarp's adverts and stays backup\n" + Describe(lan, a, b));

        a.Signal("KILL");
        Assert.That(Wait.Until(() => lan.HoldsVip(2), Long), Is.True, Describe(lan, a, b));
        Assert.That(Wait.Until(() => TakeoverArpSeen(capture), Short), Is.True, Describe(lan, a, b));
        List<Frame> frames = capture.Stop();
        FailoverTests.Takeover takeover = FailoverTests.Measure(frames, lan, 1, 2);
        TestContext.Out.WriteLine($"ucarp 1.5.2 -k 20 -> clone -k 26: failover {takeover.Arp / 1000.0:F1} ms (master-down 304.7 ms)\n{takeover}");
        // The upscript's own processes are the test's: a loaded machine slows them, not the daemon.
        Assert.That(takeover.ScriptStarted, Is.GreaterThanOrEqualTo(304_687 - 2_000), "not before the master-down interval");
        Assert.That(takeover.WithoutScript, Is.InRange(304_687 - 2_000, 304_687 + 60_000));
        Assert.That(b.Saw("Bad"), Is.False, Describe(lan, a, b));
    }

    /// <summary>
    /// The clone as master at -b 0 -k 20, Debian's ucarp as backup at -k 26: ucarp accepts
    /// the clone's adverts ("Preferred master advertised"), but cannot stay backup. It
    /// waits a single interval of its own (101.6 ms) and libpcap hands it frames in
    /// batches once a second (ucarp's capture timeout, 1000 ms), so it takes over and steps
    /// down again about once a second, idle, while the clone keeps the address. Recorded,
    /// not a fault of the clone's; the clone's own adverts are byte-identical to ucarp's.
    /// </summary>
    [Serial]
    [Test]
    public void Debian_ucarp_accepts_the_clones_adverts_at_advbase_zero_but_flaps()
    {
        using var lan = new TestLan(2);
        using UcarpProcess a = lan.Start(1, Binaries.Clone, "-b", "0", "-k", "20");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        using UcarpProcess b = lan.Start(2, Binary("debian"), "-b", "0", "-k", "26");
        Thread.Sleep(4000);
        int flaps = b.Count("Switching to state: MASTER");
        TestContext.Out.WriteLine($"ucarp 1.5.2 as backup at -b 0 -k 26: {flaps} takeovers in 4 s, " +
                                  $"{b.Count("Preferred master advertised")} step-downs on the clone's adverts");
        Assert.That(b.WaitFor("Preferred master advertised: going back to BACKUP state", Short), Is.True, "ucarp accepts the clone's adverts\n" + Describe(lan, a, b));
        Assert.That(b.Saw("Bad"), Is.False, Describe(lan, a, b));
        Assert.That(a.Count("Switching to state: MASTER"), Is.EqualTo(1), "the clone never gave the address up\n" + Describe(lan, a, b));

        a.Signal("KILL");
        Assert.That(Wait.UntilSteady(() => lan.HoldsVip(2), TimeSpan.FromSeconds(1), Long), Is.True, "ucarp takes over and keeps the address\n" + Describe(lan, a, b));
    }

    /// <summary>--garp-refresh: the master repeats its gratuitous ARP every period; the backup sends none.</summary>
    [Serial]
    [Test]
    public void A_master_repeats_its_gratuitous_arp_every_refresh_period()
    {
        Binaries.RequireTcpdump();
        using var lan = new TestLan(2);
        using UcarpProcess a = lan.Start(1, Binaries.Clone, "-b", "0", "-k", "26", "--garp-refresh=0.5");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        using UcarpProcess b = lan.Start(2, Binaries.Clone, "-b", "0", "-k", "26", "--garp-refresh=0.5");
        Assert.That(Wait.Until(() => b.Saw("Switching to state: BACKUP"), Short), Is.True, Describe(lan, a, b));
        // Past the two announcements of the takeover: only refreshes from now on.
        Thread.Sleep(1000);
        using Capture capture = lan.StartCapture("arp");
        Thread.Sleep(5000);   // ten refresh periods
        List<Frame> arps = capture.Stop().Where(f => f.IsArp && f.ArpSender == TestLan.Vip).ToList();
        string masterMac = lan.Ip("-n", lan.Node(1), "link", "show", "eth0").Split("link/ether ")[1][..17].Replace(":", "", StringComparison.Ordinal).ToUpperInvariant();
        TestContext.Out.WriteLine($"{arps.Count} gratuitous ARPs in 5 s");
        Assert.That(arps.Select(f => f.EtherSource).Distinct(), Is.EqualTo(new[] { masterMac }), "only the master announces");
        Assert.That(arps, Has.Count.InRange(9, 11));
        long[] gaps = arps.Zip(arps.Skip(1), (x, y) => y.Micros - x.Micros).ToArray();
        Assert.That(gaps, Is.All.InRange(450_000, 550_000));
    }

    /// <summary>
    /// Both cores kept busy by stress-ng: the pair at ~100 ms (-k 20 master, -k 26 backup,
    /// as in the issue's ucarp run) must not change master once. ucarp's single-interval
    /// rule (101.6 ms against 78 ms adverts) flaps here; the long run is in make bench.
    /// </summary>
    [Serial]
    [TestCase(false)]
    [TestCase(true)]
    public void Under_full_cpu_load_the_pair_keeps_its_master(bool realtime)
    {
        Binaries.RequireTcpdump();
        using var lan = new TestLan(2);
        string[] rt = realtime ? ["--realtime=10"] : [];
        using UcarpProcess a = lan.Start(1, Binaries.Clone, ["-b", "0", "-k", "20", .. rt]);
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        using UcarpProcess b = lan.Start(2, Binaries.Clone, ["-b", "0", "-k", "26", .. rt]);
        Assert.That(Wait.Until(() => b.Saw("Switching to state: BACKUP"), Short), Is.True, Describe(lan, a, b));
        using Capture capture = lan.StartCapture("proto 112");
        // 12 s: forty master-down intervals (~300 ms), each a chance to flap (the long run is make bench's).
        var window = TimeSpan.FromSeconds(12);
        using (new Stress(window))
        {
            Thread.Sleep(window);
        }
        List<Frame> adverts = capture.Stop().Where(f => f.IsCarp && f.IpSource == TestLan.Address(1)).ToList();
        double[] late = adverts.Zip(adverts.Skip(1), (x, y) => (y.Micros - x.Micros - IntervalMicros(20)) / 1000.0).Order().ToArray();
        TestContext.Out.WriteLine($"realtime {realtime}: {adverts.Count} adverts, lateness p50 {late[late.Length / 2]:F3} ms, " +
                                  $"p99 {late[late.Length * 99 / 100]:F3} ms, max {late[^1]:F3} ms");
        Assert.That(adverts, Has.Count.GreaterThan(120), "12 s of adverts every 78 ms");
        Assert.That(b.Count("Switching to state: MASTER"), Is.Zero, Describe(lan, a, b));
        Assert.That(a.Count("Switching to state: BACKUP"), Is.EqualTo(1), "the master never stepped down\n" + Describe(lan, a, b));
        Assert.That(lan.VipHolders(), Is.EqualTo(new[] { 1 }));
    }

    /// <summary>--realtime: the event loop runs SCHED_RR; the scripts it starts do not.</summary>
    [Serial]
    [Test]
    public void Realtime_priority_is_not_inherited_by_scripts()
    {
        using var lan = new TestLan(1);
        string up = Path.Combine(lan.Directory, "up-sched.sh");
        string record = Path.Combine(lan.Directory, "up-sched.txt");
        // Field 41 of /proc/PID/stat is the policy (0 SCHED_OTHER, 2 SCHED_RR), 40 the RT priority.
        File.WriteAllText(up, $"#!/bin/sh\nawk '{{ print $41, $40 }}' /proc/$$/stat > {record}\nip addr add \"$2\"/24 dev \"$1\"\n");
        File.SetUnixFileMode(up, (UnixFileMode)0b111_101_101);
        using UcarpProcess a = lan.Start(1, Binaries.Clone, "-b", "0", "-k", "26", "--realtime=10", "-u", up);
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        Assert.That(a.WaitFor("[INFO] Event loop at real-time priority 10 (SCHED_RR), memory locked", Short), Is.True, Describe(lan, a));
        string main = File.ReadAllText($"/proc/{a.Pid}/task/{a.Pid}/stat");
        string[] fields = main[(main.LastIndexOf(')') + 2)..].Split(' ');   // from field 3 on
        Assert.That((fields[41 - 3], fields[40 - 3]), Is.EqualTo(("2", "10")), "the event loop thread is SCHED_RR at 10");
        Assert.That(File.ReadAllText(record).Trim(), Is.EqualTo("0 0"), "the upscript runs SCHED_OTHER");
        string status = File.ReadAllText($"/proc/{a.Pid}/status");
        long rss = long.Parse(status.Split('\n').First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        TestContext.Out.WriteLine($"RSS with --realtime: {rss} KiB");
        // Locked as touched (MCL_ONFAULT): the idle RSS stays what it is without --realtime (about
        // 4 MiB); mlockall(MCL_CURRENT) would fault the whole image and heap in (about 24 MiB).
        // The idle figure itself is make bench's to watch, beside ucarp's.
        Assert.That(rss, Is.LessThan(8 * 1024), "locked as touched, not the whole image");
    }
}
