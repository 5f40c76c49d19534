using System.Globalization;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>Attacks and faults: forged floods, hanging and failing scripts, signal storms, link flapping.</summary>
public class HardeningTests : NamespaceTest
{
    internal static List<long> AdvertGaps(List<Frame> frames, string source)
    {
        var times = frames.Where(f => f.IsCarp && f.IpSource == source).Select(f => f.Micros).ToList();
        return times.Zip(times.Skip(1), (a, b) => b - a).ToList();
    }

    [Serial]
    [Test]
    public void A_forged_advert_flood_neither_dethrones_the_master_nor_breaks_its_rhythm()
    {
        Binaries.RequireTcpdump();
        Binaries.RequireTcpreplay();
        using var lan = new TestLan(3);
        using UcarpProcess master = lan.Start(1, Binary("clone"), "-k", "100");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True);
        using UcarpProcess backup = lan.Start(2, Binary("clone"), "-k", "200");
        Assert.That(backup.WaitFor("Switching to state: BACKUP", Short), Is.True);
        using Capture capture = lan.StartCapture($"proto 112 and src {TestLan.Address(1)}");

        double cpuBefore = CpuTime.Seconds(master.Pid);
        using var flood = new ForgedFlood(lan, 3, maxFrames: 2_000_000, maxSeconds: 8);
        string report = flood.Finish();
        double seconds = flood.Started.Elapsed.TotalSeconds;
        double cpu = CpuTime.Seconds(master.Pid) - cpuBefore;
        List<long> gaps = AdvertGaps(capture.Stop(), TestLan.Address(1));
        TestContext.Out.WriteLine($"flood {seconds:F1} s: {report.Trim()}");
        TestContext.Out.WriteLine($"master CPU {cpu / seconds * 100:F0}% of a core; advert gaps {gaps.Min() / 1000.0:F1}..{gaps.Max() / 1000.0:F1} ms");

        Assert.That(lan.VipHolders(), Is.EqualTo(new[] { 1 }), "the master stayed master, the backup backup");
        // BACKUP once at start, MASTER once after: the flood never made it step down.
        Assert.That((master.Count("Switching to state: BACKUP"), master.Count("Switching to state: MASTER")), Is.EqualTo((1, 1)), master.Output);
        // advskew 100: an advert every 1.390625 s.
        Assert.That(gaps, Has.Count.GreaterThanOrEqualTo((int)(seconds / 1.390625) - 2));
        // Generous bounds for a shared machine; the benchmark reports the real spread.
        Assert.That(gaps.Max(), Is.LessThan(1_390_625 + 150_000), "no advert was late by more than 150 ms");
        Assert.That(gaps.Min(), Is.GreaterThan(1_390_625 - 150_000));
        // Rate-limited: a line per second plus a count, not a line per frame.
        Assert.That(master.Count("[WARNING] Bad digest"), Is.LessThanOrEqualTo((int)seconds + 3), master.Output);
        Assert.That(master.WaitFor("more \"Bad digest\" lines suppressed in the last second", Short), Is.True);
    }

    [Test]
    public void A_hanging_upscript_does_not_stop_the_adverts()
    {
        using var lan = new TestLan(2);
        string hang = Path.Combine(lan.Directory, "hang.sh");
        File.WriteAllText(hang, $"#!/bin/sh\necho \"hang $*\" >> {lan.ScriptLog}\nsleep 30\n");
        File.SetUnixFileMode(hang, (UnixFileMode)0b111_101_101);
        using UcarpProcess master = lan.StartRaw(1, Binary("clone"), "-i", "eth0", "-s", TestLan.Address(1), "-v", "42", "-p", "test",
                                                 "-a", TestLan.Vip, "-u", hang, "-d", "/bin/true");
        Assert.That(master.WaitFor("Switching to state: MASTER", Long), Is.True);
        using UcarpProcess backup = lan.Start(2, Binary("debian"), "-k", "100");
        // The upscript sleeps 30 s; ucarp would send nothing meanwhile and the backup
        // would take over after 3.4 s. The clone keeps advertising.
        Assert.That(Wait.Throughout(() => !backup.Saw("Switching to state: MASTER"), TimeSpan.FromSeconds(8)), Is.True,
                    Describe(lan, master, backup));
        // The log is shared: the backup's start-up downscript is in it, but no upscript of its own.
        Assert.That(lan.ScriptCalls.Count(c => c == "hang eth0 192.0.2.100"), Is.EqualTo(1));
        Assert.That(lan.ScriptCalls.Any(c => c.StartsWith("up ", StringComparison.Ordinal)), Is.False);
    }

    [Test]
    public void Failing_and_missing_scripts_are_logged()
    {
        using var lan = new TestLan(1);
        string fail = Path.Combine(lan.Directory, "fail.sh");
        File.WriteAllText(fail, "#!/bin/sh\nexit 3\n");
        File.SetUnixFileMode(fail, (UnixFileMode)0b111_101_101);
        using UcarpProcess a = lan.StartRaw(1, Binary("clone"), "-i", "eth0", "-s", TestLan.Address(1), "-v", "42", "-p", "test",
                                            "-a", TestLan.Vip, "-u", "/nonexistent/up", "-d", fail);
        Assert.That(a.WaitFor($"err: [WARNING] Script [{fail} eth0 192.0.2.100] exited with status 3", Short), Is.True, a.Output);
        Assert.That(a.WaitFor("err: [ERROR] Unable to exec /nonexistent/up eth0 192.0.2.100: No such file or directory", Long), Is.True, a.Output);
        Assert.That(a.WaitFor("err: [WARNING] Spawning [/nonexistent/up eth0 192.0.2.100]", Short), Is.True);
        // Failing scripts change nothing else: it became master and keeps running.
        Assert.That(a.WaitFor("[WARNING] Switching to state: MASTER", Short), Is.True, a.Output);
        Assert.That(Wait.Throughout(() => !a.HasExited, TimeSpan.FromSeconds(1.5)), Is.True, "still running\n" + a.Output);
    }

    [Serial]
    [Test]
    public void Ten_thousand_signals_neither_crash_nor_disturb_the_timing()
    {
        Binaries.RequireTcpdump();
        using var lan = new TestLan(2);
        using UcarpProcess a = lan.Start(1, Binary("clone"), "-k", "0");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True);
        using UcarpProcess b = lan.Start(2, Binary("clone"), "-k", "50");
        Assert.That(b.WaitFor("Switching to state: BACKUP", Short), Is.True);
        using Capture capture = lan.StartCapture($"proto 112 and src {TestLan.Address(1)}");

        for (int i = 0; i < 10_000; i++)
        {
            Assert.That(Signals.Kill(a.Pid, Signals.SIGUSR1), Is.EqualTo(0));
        }
        Assert.That(a.WaitFor("[INFO] MASTER on eth0 id 42", Short), Is.True);
        Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([1]), TimeSpan.FromSeconds(3)), Is.True, Describe(lan, a, b));
        List<long> gaps = AdvertGaps(capture.Stop(), TestLan.Address(1));
        Assert.That(gaps.Max(), Is.LessThan(1_000_000 + 150_000), "adverts kept their rhythm through the storm");
        Assert.That(a.Count("MASTER on eth0 id 42"), Is.InRange(1, 10_000));

        // Now a storm of both: the master steps down (once) and the backup takes over.
        for (int i = 0; i < 10_000; i++)
        {
            Signals.Kill(a.Pid, i % 2 == 0 ? Signals.SIGUSR1 : Signals.SIGUSR2);
        }
        Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([2]), Long), Is.True, Describe(lan, a, b));
        Assert.That(a.HasExited, Is.False);
        Assert.That(a.Count("Switching to state: BACKUP"), Is.EqualTo(2), "start-up, then one demotion");
        a.Signal("USR1");
        Assert.That(Wait.Until(() => a.Lines[^1].EndsWith("BACKUP on eth0 id 42", StringComparison.Ordinal), Short), Is.True, Describe(lan, a, b));
    }

    [Serial]
    [Test]
    public void Thirty_link_flaps_each_run_the_right_script_and_return_within_a_second()
    {
        using var lan = new TestLan(1);
        // Short timers (master-down 0.25 s) so that "back in service" is quick to see.
        using UcarpProcess a = lan.Start(1, Binary("clone"), "-b", "0", "-k", "64", "-r", "2");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True);
        var returns = new List<double>();
        // Thirty, not fifty: each costs a second of the serial phase, and the twenty it gave
        // up paid for `make demo` in the suite (make check's twelve minutes).
        const int Flaps = 30;
        for (int i = 0; i < Flaps; i++)
        {
            lan.SetCarrier(1, up: false);
            Assert.That(Wait.Until(() => !lan.HoldsVip(1), Short), Is.True, $"flap {i}: down\n" + Describe(lan, a));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            lan.SetCarrier(1, up: true);
            Assert.That(Wait.Until(() => lan.HoldsVip(1), Short), Is.True, $"flap {i}: up\n" + Describe(lan, a));
            returns.Add(clock.Elapsed.TotalSeconds);
        }
        TestContext.Out.WriteLine($"back in service after link up: max {returns.Max():F2} s, median {returns.Order().ElementAt(Flaps / 2):F2} s");
        // Noticed within a second, plus the 0.25 s master-down and the upscript.
        Assert.That(returns.Max(), Is.LessThan(1.0 + 0.25 + 0.5));
        string[] calls = [.. lan.ScriptCalls.Select(c => c.Split(' ')[0])];
        Assert.That(calls, Is.EqualTo(new[] { "down" }.Concat(Enumerable.Repeat(new[] { "up", "down" }, Flaps).SelectMany(x => x)).Append("up")));
    }

    [Test]
    public void The_password_never_appears_in_the_logs()
    {
        using var lan = new TestLan(2);
        using UcarpProcess a = lan.StartRaw(1, Binary("clone"), "-D", "-i", "eth0", "-s", TestLan.Address(1), "-v", "42", "-p", "Sup3rS3cr3t",
                                            "-a", TestLan.Vip, "-u", lan.UpScript, "-d", lan.DownScript);
        using UcarpProcess b = lan.StartRaw(2, Binary("clone"), "-D", "-i", "eth0", "-s", TestLan.Address(2), "-v", "42", "-p", "other",
                                            "-a", TestLan.Vip, "-u", lan.UpScript, "-d", lan.DownScript);
        Assert.That(Wait.Until(() => a.Saw("Bad digest") && b.Saw("Bad digest"), Long), Is.True);
        a.Signal("USR1");
        a.Signal("USR2");
        Assert.That(a.WaitFor("Caught signal (USR2)", Short), Is.True);
        Assert.That(a.Lines.Count, Is.GreaterThan(10), "debug output is on");
        Assert.That(a.Output + b.Output, Does.Not.Contain("Sup3rS3cr3t").And.Not.Contain("other "));
    }
}
