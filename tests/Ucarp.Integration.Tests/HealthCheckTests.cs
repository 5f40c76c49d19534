using System.Globalization;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>--check: a failing node leaves the election (and the address), a passing one comes back; checks never block the protocol.</summary>
public class HealthCheckTests : NamespaceTest
{
    static string Healthy(TestLan lan) => Path.Combine(lan.Directory, "healthy");

    static string[] CheckArgs(TestLan lan, params string[] more) =>
        ["--check", $"test -e {Healthy(lan)}", "--check-interval=0.2", .. more];

    [Test]
    public void A_failing_check_gives_the_address_up_and_keeps_the_node_out_even_alone_until_it_passes_again()
    {
        using var lan = new TestLan(2);
        File.WriteAllText(Healthy(lan), "");
        using UcarpProcess a = lan.Start(1, Binary("clone"), ["-k", "0", "-P", "-x", "n1", .. CheckArgs(lan)]);
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        using UcarpProcess b = lan.Start(2, Binary("debian"), "-k", "100", "-x", "n2");
        Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([1]), TimeSpan.FromSeconds(2)), Is.True, Describe(lan, a, b));

        File.Delete(Healthy(lan));
        // Two failures in a row (0.2 s apart), then the downscript and the bow-out: Debian's ucarp takes over.
        Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([2]), Long), Is.True, Describe(lan, a, b));
        Assert.That(a.WaitFor("[WARNING] Out of the election (health check failed 2 times in a row): this node will not become master", Short),
                    Is.True, Describe(lan, a, b));
        Assert.That(a.Count("[WARNING] Health check [test -e"), Is.EqualTo(2), "failures are logged up to the one that counts\n" + Describe(lan, a, b));
        Assert.That(b.WaitFor("[WARNING] Putting MASTER DOWN (going to time out)", Short), Is.True, Describe(lan, a, b));

        a.Signal("USR1");
        Assert.That(a.WaitFor("[INFO] BACKUP on eth0 id 42 (out of the election: will not become master)", Short), Is.True, Describe(lan, a, b));

        // Alone on the LAN and out of the election: it never takes the address.
        b.Signal("KILL");
        Assert.That(b.WaitForExit(Short), Is.True);
        lan.Ip("-n", lan.Node(2), "addr", "flush", "dev", "eth0", "to", TestLan.Vip);
        Assert.That(Wait.Throughout(() => !lan.HoldsVip(1), TimeSpan.FromSeconds(5)), Is.True, Describe(lan, a, b));

        // Healthy again: two passes, then as at start-up, master after the master-down interval.
        File.WriteAllText(Healthy(lan), "");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a, b));
        Assert.That(a.WaitFor("[WARNING] Joining the election (health check passed 2 times in a row)", Short), Is.True, Describe(lan, a, b));
    }

    [Test]
    public void A_node_whose_check_has_never_passed_does_not_take_the_address()
    {
        using var lan = new TestLan(1);
        using UcarpProcess a = lan.Start(1, Binary("clone"), CheckArgs(lan));
        Assert.That(a.WaitFor("[WARNING] Out of the election (health check has not passed yet)", Short), Is.True, Describe(lan, a));
        Assert.That(Wait.Throughout(() => !lan.HoldsVip(1), TimeSpan.FromSeconds(4.5)), Is.True, Describe(lan, a));
        File.WriteAllText(Healthy(lan), "");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
    }

    /// <summary>
    /// A check that hangs is killed with its whole process group at the timeout and counts
    /// as failed; a slow check never delays the master's adverts.
    /// </summary>
    [Test]
    public void A_hanging_check_is_killed_with_its_children_and_counts_as_failed()
    {
        using var lan = new TestLan(1);
        // A marker no other process on the machine has: the grandchild sleep.
        string marker = "7" + (Environment.ProcessId % 1000).ToString(CultureInfo.InvariantCulture) + ".25";
        string script = Path.Combine(lan.Directory, "hang.sh");
        File.WriteAllText(script, $"#!/bin/sh\n[ -e {Healthy(lan)} ] && exit 0\nsleep {marker} &\nwait\n");
        File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        using UcarpProcess a = lan.Start(1, Binary("clone"), "--check", script, "--check-interval=0.3", "--check-timeout=0.2",
                                         "--check-fall=1", "--check-rise=1");
        Assert.That(a.WaitFor($"[WARNING] Health check [{script}] failed: no result after 0.2 s, its process group was killed", Short),
                    Is.True, Describe(lan, a));
        // Every run's sleep died with its group: at most the current run's is alive.
        Assert.That(Wait.Throughout(() => Sleepers(marker) <= 1, TimeSpan.FromSeconds(1.5)), Is.True);
        File.WriteAllText(Healthy(lan), "");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        Assert.That(Wait.Until(() => Sleepers(marker) == 0, Short), Is.True, "no check left behind");
    }

    static int Sleepers(string marker) =>
        Shell.Run("sh", "-c", $"pgrep -f -x 'sleep {marker}' | wc -l").Trim() is var n ? int.Parse(n, CultureInfo.InvariantCulture) : 0;

    [Test]
    public void A_slow_but_passing_check_never_costs_the_master_its_address()
    {
        using var lan = new TestLan(2);
        using UcarpProcess a = lan.Start(1, Binary("clone"), "-k", "0", "--check", "sleep 1.5", "--check-interval=1", "--check-timeout=3");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        using UcarpProcess b = lan.Start(2, Binary("clone"), "-k", "1");
        Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([1]) && !b.Saw("MASTER"), TimeSpan.FromSeconds(6)),
                    Is.True, Describe(lan, a, b));
    }

    [Test]
    public void A_check_that_cannot_run_fails_with_a_clear_line()
    {
        using var lan = new TestLan(1);
        using UcarpProcess a = lan.Start(1, Binary("clone"), "--check", "/nonexistent/check", "--check-interval=0.2");
        Assert.That(a.WaitFor("[WARNING] Health check [/nonexistent/check] failed: /bin/sh could not run it (status 127: command not found or not executable)",
                              Short), Is.True, Describe(lan, a));
        Assert.That(Wait.Throughout(() => !lan.HoldsVip(1), TimeSpan.FromSeconds(4)), Is.True, Describe(lan, a));
    }
}
