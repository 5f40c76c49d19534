using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>Script arguments, -n, -z, SIGUSR1 and SIGUSR2, each compared with Debian's ucarp.</summary>
public class ScriptAndSignalTests : NamespaceTest
{
    [TestCase("clone")]
    [TestCase("debian")]
    public void Scripts_get_interface_vip_as_typed_and_xparam(string which)
    {
        using var lan = new TestLan(1);
        using UcarpProcess a = lan.Start(1, Binary(which), "-x", "extra words");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        Assert.That(Wait.Until(() => lan.ScriptCalls.Count >= 2, Short), Is.True, Describe(lan, a));
        Assert.That(lan.ScriptCalls.Take(2), Is.EqualTo(new[] { "down eth0 192.0.2.100 extra words", "up eth0 192.0.2.100 extra words" }));
        Assert.That(a.WaitFor($"[WARNING] Spawning [{lan.UpScript} eth0 192.0.2.100 extra words]", Short), Is.True, Describe(lan, a));
    }

    [TestCase("clone")]
    [TestCase("debian")]
    public void Neutral_skips_the_start_up_downscript(string which)
    {
        using var lan = new TestLan(1);
        using UcarpProcess a = lan.Start(1, Binary(which), "-n");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        Assert.That(Wait.Until(() => lan.ScriptCalls.Count >= 1, Short), Is.True);
        Assert.That(lan.ScriptCalls[0], Is.EqualTo("up eth0 192.0.2.100"));
    }

    [TestCase("clone")]
    [TestCase("debian")]
    public void With_z_sigterm_runs_the_downscript_and_exits_0(string which)
    {
        using var lan = new TestLan(1);
        using UcarpProcess a = lan.Start(1, Binary(which), "-z");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        a.Signal("TERM");
        Assert.That(a.WaitForExit(Long), Is.True, Describe(lan, a));
        Assert.That(a.ExitCode, Is.EqualTo(0));
        Assert.That(lan.HoldsVip(1), Is.False, "the downscript removed the VIP");
        Assert.That(lan.ScriptCalls[^1], Is.EqualTo("down eth0 192.0.2.100"));
    }

    [TestCase("clone")]
    [TestCase("debian")]
    public void Without_z_sigterm_kills_and_leaves_the_vip(string which)
    {
        using var lan = new TestLan(1);
        using UcarpProcess a = lan.Start(1, Binary(which));
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        a.Signal("TERM");
        Assert.That(a.WaitForExit(Long), Is.True);
        Assert.That(a.ExitCode, Is.EqualTo(143), "killed by SIGTERM, as the shell reports it");
        Assert.That(lan.HoldsVip(1), Is.True);
    }

    [Test]
    public void Sigusr1_logs_the_state()
    {
        using var lan = new TestLan(1);
        using UcarpProcess a = lan.Start(1, Binary("clone"));
        Assert.That(Wait.Until(() => a.Saw("Switching to state: BACKUP"), Short), Is.True);
        a.Signal("USR1");
        Assert.That(a.WaitFor("out: [INFO] BACKUP on eth0 id 42", Short), Is.True, Describe(lan, a));
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True);
        a.Signal("USR1");
        Assert.That(a.WaitFor("out: [INFO] MASTER on eth0 id 42", Short), Is.True, Describe(lan, a));
    }

    [TestCase("clone", "clone")]
    [TestCase("clone", "debian")]
    [TestCase("debian", "clone")]
    public void Sigusr2_hands_the_vip_to_the_backup(string master, string backup)
    {
        using var lan = new TestLan(2);
        using UcarpProcess a = lan.Start(1, Binary(master), "-k", "0");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        using UcarpProcess b = lan.Start(2, Binary(backup), "-k", "50");
        Assert.That(Wait.Until(() => b.Saw("Switching to state: BACKUP"), Short), Is.True);
        a.Signal("USR2");
        Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([2]), Long), Is.True, Describe(lan, a, b));
        // Without -P the demoted node stays backup behind the new master.
        Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([2]), TimeSpan.FromSeconds(5)), Is.True, Describe(lan, a, b));
    }

    [Serial]
    [Test]
    public void Sigusr2_on_a_lone_master_returns_after_hold_and_timeout()
    {
        using var lan = new TestLan(1);
        using UcarpProcess a = lan.Start(1, Binary("clone"));
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        a.Signal("USR2");
        Assert.That(Wait.Until(() => !lan.HoldsVip(1), Short), Is.True, Describe(lan, a));
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        // 3 s hold, then the 3 s master-down timer.
        Assert.That(clock.Elapsed.TotalSeconds, Is.InRange(5.8, 7.5));
    }
}
