using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// Corners where a drop-in must behave as ucarp 1.5.2 does, each run with both binaries:
/// -B with a password file that can be read only once, announcements around a slow
/// upscript, no CAP_NET_RAW, -D's BPF line and log.c's 4095-byte lines.
/// </summary>
public class FidelityTests : NamespaceTest
{
    /// <summary>
    /// The -B daemon must use the password its parent read: a relative path (the daemon
    /// works in /), /dev/stdin and a process substitution can each be read only by the
    /// parent. Proof that the password is right: a foreground peer with the same password
    /// and a larger advskew stays backup and logs no bad digest.
    /// </summary>
    [TestCase("clone", "relative")]
    [TestCase("debian", "relative")]
    [TestCase("clone", "stdin")]
    [TestCase("debian", "stdin")]
    [TestCase("clone", "substitution")]
    [TestCase("debian", "substitution")]
    public void Minus_B_uses_the_password_file_as_read_before_detaching(string which, string kind)
    {
        using var lan = new TestLan(2);
        File.WriteAllText(Path.Combine(lan.Directory, "pass"), "test\n");
        File.SetUnixFileMode(Path.Combine(lan.Directory, "pass"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string common = $"-i eth0 -s {TestLan.Address(1)} -v 42 -a {TestLan.Vip} -u {lan.UpScript} -d {lan.DownScript} -k 0 -B";
        string command = kind switch
        {
            "relative" => $"cd {lan.Directory} && exec {Binary(which)} {common} -o pass",
            "stdin" => $"echo test | {Binary(which)} {common} -o /dev/stdin",
            _ => $"exec {Binary(which)} {common} -o <(echo test)",
        };
        using UcarpProcess parent = lan.StartRaw(1, "/bin/bash", "-c", command);
        Assert.That(parent.WaitForExit(Short), Is.True, parent.Output);
        Assert.That(parent.ExitCode, Is.Zero, parent.Output);
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, "the daemon runs and is master\n" + parent.Output);

        using UcarpProcess peer = lan.Start(2, Binary("clone"), "-k", "100");
        Assert.That(peer.WaitFor("Switching to state: BACKUP", Short), Is.True, peer.Output);
        Assert.That(Wait.Throughout(() => !peer.Saw("MASTER") && !peer.Saw("Bad digest"), TimeSpan.FromSeconds(4.5)), Is.True,
                    "the daemon advertises with the right password\n" + peer.Output);
    }

    /// <summary>
    /// A master announces itself twice: ucarp after its (blocking) upscript and two adverts
    /// later; the clone once the upscript has finished, and the second must not be lost
    /// while the script still runs. Neither goes before the upscript has added the address.
    /// </summary>
    [TestCase("clone")]
    [TestCase("debian")]
    public void A_slow_upscript_still_gets_two_gratuitous_arps(string which)
    {
        Binaries.RequireTcpdump();
        using var lan = new TestLan(1);
        string slowUp = Path.Combine(lan.Directory, "slow-up.sh");
        string configured = Path.Combine(lan.Directory, "configured");
        File.WriteAllText(slowUp, $"#!/bin/sh\nsleep 3\nip addr add \"$2\"/24 dev \"$1\"\ndate +%s%6N > {configured}\necho configured >> {lan.ScriptLog}\n");
        File.SetUnixFileMode(slowUp, (UnixFileMode)0b111_101_101);
        using Capture capture = lan.StartCapture("arp");
        using UcarpProcess a = lan.Start(1, Binary(which), "-u", slowUp);
        Assert.That(Wait.Until(() => lan.HoldsVip(1), TimeSpan.FromSeconds(12)), Is.True, Describe(lan, a));
        // ucarp's second comes two adverts after its first: wait long enough for both.
        Assert.That(Wait.Until(() => capture.Current().Count(f => f.IsArp && f.ArpSender == TestLan.Vip) >= 2, TimeSpan.FromSeconds(5)),
                    Is.True, Describe(lan, a));
        Assert.That(Wait.Throughout(() => capture.Current().Count(f => f.IsArp && f.ArpSender == TestLan.Vip) == 2, TimeSpan.FromSeconds(3)),
                    Is.True, "exactly two");
        // The script wrote the time (µs, wall clock, as pcap's) right after adding the address.
        long added = long.Parse(File.ReadAllText(configured).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        long firstArp = capture.Current().Where(f => f.IsArp && f.ArpSender == TestLan.Vip).Min(f => f.Micros);
        Assert.That(firstArp, Is.GreaterThanOrEqualTo(added), "announced only once the upscript has configured the address");
    }

    [TestCase("clone")]
    [TestCase("debian")]
    public void Without_cap_net_raw_the_same_two_lines_and_status_2(string which)
    {
        using var lan = new TestLan(1);
        using UcarpProcess a = lan.StartRaw(1, "capsh", "--drop=cap_net_raw", "--", "-c",
            $"exec {Binary(which)} -i eth0 -s {TestLan.Address(1)} -v 42 -p test -a {TestLan.Vip} -u /bin/true -d /bin/true");
        Assert.That(a.WaitForExit(Short), Is.True, a.Output);
        Assert.That(a.ExitCode, Is.EqualTo(2), a.Output);
        Assert.That(a.Lines, Is.EqualTo(new[]
        {
            "err: [ERROR] Unable to open raw device: [Operation not permitted]",
            "err: [ERROR] Unable to find MAC address of [eth0]",
        }));
    }

    /// <summary>-D: the BPF rule line, in the same place (stdbuf: ucarp's stdout is block-buffered in a pipe).</summary>
    [TestCase("clone")]
    [TestCase("debian")]
    public void Debug_logs_the_bpf_rule_after_the_mac_line(string which)
    {
        using var lan = new TestLan(1);
        using UcarpProcess a = lan.StartRaw(1, "stdbuf", "-oL", Binary(which), "-i", "eth0", "-s", TestLan.Address(1), "-v", "42",
                                            "-p", "test", "-a", TestLan.Vip, "-u", "/bin/true", "-d", "/bin/true", "-D");
        Assert.That(a.WaitFor("Switching to state: BACKUP", Short), Is.True, a.Output);
        // Standard output is another pipe, read by another thread: its lines may come after stderr's.
        Assert.That(a.WaitFor("BPF rule", Short), Is.True, a.Output);
        List<string> stdout = a.Lines.Where(l => l.StartsWith("out:", StringComparison.Ordinal)).ToList();
        Assert.That(stdout, Has.Count.GreaterThanOrEqualTo(2), a.Output);
        Assert.That(stdout[0], Does.Match(@"^out: \[INFO\] Local advertised ethernet address is \[([0-9a-f]{2}:){5}[0-9a-f]{2}\]$"), a.Output);
        Assert.That(stdout[1], Is.EqualTo("out: [DEBUG] BPF rule: [proto 112 and src host not 192.0.2.1]"), a.Output);
    }

    /// <summary>log.c formats into 4096 bytes: a longer message is cut at 4095, the level prefix added after.</summary>
    [TestCase("clone")]
    [TestCase("debian")]
    public void Log_lines_are_cut_at_4095_bytes(string which)
    {
        using var lan = new TestLan(1);
        string xparam = new('x', 5000);
        using UcarpProcess a = lan.Start(1, Binary(which), "-x", xparam);
        string expected = ("Spawning [" + lan.DownScript + " eth0 192.0.2.100 " + xparam + "]")[..4095];
        Assert.That(a.WaitFor("Spawning [", Short), Is.True, a.Output);
        Assert.That(a.Lines.First(l => l.Contains("Spawning [", StringComparison.Ordinal)), Is.EqualTo("err: [WARNING] " + expected));
    }
}
