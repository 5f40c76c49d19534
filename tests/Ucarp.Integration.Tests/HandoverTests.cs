using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// Planned handover: a master leaving on purpose (-z termination, SIGUSR2) runs its
/// downscript, then bows out with one advbase 255/advskew 255 advert, and backups, Debian's
/// ucarp included, take over at once instead of after their master-down timer.
/// Scripts get an -x naming the node, so the shared script log says who did what.
/// </summary>
public class HandoverTests : NamespaceTest
{
    const string TakenOver = "[WARNING] Putting MASTER DOWN (going to time out)";

    /// <summary>A downscript that takes half a second before it releases the address, and says when it has.</summary>
    static string SlowDownscript(TestLan lan)
    {
        string path = Path.Combine(lan.Directory, "slow-down.sh");
        File.WriteAllText(path, $"#!/bin/sh\nsleep 0.5\nip addr del \"$2\"/24 dev \"$1\" 2>/dev/null\necho \"released $*\" >> {lan.ScriptLog}\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }

    static (UcarpProcess Master, UcarpProcess Backup) Pair(TestLan lan, string backup, params string[] masterExtra)
    {
        UcarpProcess a = lan.Start(1, Binary("clone"), ["-k", "0", "-z", "-x", "n1", "-d", SlowDownscript(lan), .. masterExtra]);
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        UcarpProcess b = lan.Start(2, Binary(backup), "-k", "100", "-x", "n2");
        Assert.That(Wait.Until(() => b.Saw("Switching to state: BACKUP"), Short), Is.True, Describe(lan, a, b));
        // The backup hears the adverts: past its start-up timer it is still backup.
        Assert.That(Wait.Throughout(() => !b.Saw("MASTER") && lan.VipHolders().SequenceEqual([1]), PastMasterDown),
                    Is.True, Describe(lan, a, b));
        return (a, b);
    }

    [TestCase("TERM", "clone")]
    [TestCase("TERM", "debian")]
    [TestCase("USR2", "clone")]
    [TestCase("USR2", "debian")]
    public void A_master_leaving_on_purpose_hands_over_at_once_after_releasing_the_address(string signal, string backup)
    {
        Binaries.RequireTcpdump();
        using var lan = new TestLan(2);
        using Capture capture = lan.StartCapture("proto 112");
        var (a, b) = Pair(lan, backup);
        using (a)
        using (b)
        {
            a.Signal(signal);
            Assert.That(Wait.Until(() => lan.HoldsVip(2), Long), Is.True, Describe(lan, a, b));
            // Taken over on the bow-out ("going to time out"), not by the backup's own timer.
            Assert.That(b.WaitFor(TakenOver, Short), Is.True, Describe(lan, a, b));
            Assert.That(a.WaitFor("[INFO] Bowing out", Short), Is.True, Describe(lan, a, b));
            // The address was released before the backup claimed it. Released twice by then:
            // at start-up (BACKUP), and on leaving.
            const string Release = "released eth0 192.0.2.100 n1";
            Assert.That(Wait.Until(() => lan.ScriptCalls.Count(c => c == Release) == 2, Short), Is.True, Describe(lan, a, b));
            List<string> calls = [.. lan.ScriptCalls];
            int released = calls.LastIndexOf(Release);
            int claimed = calls.LastIndexOf("up eth0 192.0.2.100 n2");
            Assert.That(released, Is.GreaterThanOrEqualTo(0).And.LessThan(claimed), string.Join("\n", calls));

            Assert.That(Wait.Until(() => capture.Current().Any(f => f.IsCarp && f.AdvBase == 255), Short), Is.True);
            Frame bowOut = capture.Stop().Single(f => f.IsCarp && f.AdvBase == 255);
            Assert.That((bowOut.IpSource, bowOut.AdvSkew), Is.EqualTo((TestLan.Address(1), 255)));
            if (signal == "TERM")
            {
                Assert.That(a.WaitForExit(Short), Is.True, Describe(lan, a, b));
                Assert.That(a.ExitCode, Is.Zero);
            }
            else
            {
                // Demoted, the clone stays BACKUP behind the new master.
                Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([2]), TimeSpan.FromSeconds(4)), Is.True, Describe(lan, a, b));
            }
        }
    }

    [Test]
    public void With_no_bowout_the_master_leaves_silently_as_ucarp_does()
    {
        Binaries.RequireTcpdump();
        using var lan = new TestLan(2);
        using Capture capture = lan.StartCapture("proto 112");
        var (a, b) = Pair(lan, "clone", "--no-bowout");
        using (a)
        using (b)
        {
            a.Signal("TERM");
            Assert.That(a.WaitForExit(Short), Is.True, Describe(lan, a, b));
            Assert.That(Wait.Until(() => lan.HoldsVip(2), Long), Is.True, Describe(lan, a, b));
            Assert.That(b.Saw(TakenOver), Is.False, "taken over by the master-down timer\n" + Describe(lan, a, b));
            Assert.That(capture.Stop().Any(f => f.IsCarp && f.AdvBase == 255), Is.False);
        }
    }

    /// <summary>
    /// Two backups, one of each binary, both take the bow-out for a dead master; the CARP
    /// rules settle the LAN on the one with the lower advskew, and no node stays master.
    /// </summary>
    [TestCase("clone", "debian")]
    [TestCase("debian", "clone")]
    public void With_two_backups_the_lan_settles_on_the_preferred_one(string preferred, string other)
    {
        using var lan = new TestLan(3);
        using UcarpProcess a = lan.Start(1, Binary("clone"), "-k", "0", "-z", "-x", "n1");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        using UcarpProcess b = lan.Start(2, Binary(preferred), "-k", "50", "-x", "n2");
        using UcarpProcess c = lan.Start(3, Binary(other), "-k", "100", "-x", "n3");
        Assert.That(Wait.Until(() => b.Saw("BACKUP") && c.Saw("BACKUP"), Short), Is.True, Describe(lan, a, b, c));
        Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([1]), TimeSpan.FromSeconds(1.5)), Is.True, Describe(lan, a, b, c));

        a.Signal("TERM");
        Assert.That(a.WaitForExit(Short), Is.True, Describe(lan, a, b, c));
        // A node that believes it is master holds the address (its upscript added it).
        Assert.That(Wait.UntilSteady(() => lan.VipHolders().SequenceEqual([2]), TimeSpan.FromSeconds(4), Long), Is.True,
                    Describe(lan, a, b, c));
        Assert.That(b.WaitFor(TakenOver, Short), Is.True, Describe(lan, a, b, c));
    }
}
