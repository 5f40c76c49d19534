using System.Globalization;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>Failover after SIGKILL, preemption and partitions, measured on the wire.</summary>
public class FailoverTests : NamespaceTest
{
    /// <summary>
    /// The master dies; the backup (advskew 100) takes over. Failover is measured on the
    /// bridge from the dead master's last advert to the new master's gratuitous ARP and
    /// must be at least the protocol floor, deadratio x advbase + advskew/256 (3.390625 s).
    /// The clone fires on time; ucarp may oversleep up to one advert interval.
    /// </summary>
    [Serial]
    [TestCase("clone", "clone", 100)]
    [TestCase("debian", "clone", 100)]
    [TestCase("clone", "debian", 1100)]
    public void The_backup_takes_over_after_sigkill_at_the_protocol_floor(string master, string backup, int slackMs)
    {
        Binaries.RequireTcpdump();
        using var lan = new TestLan(2);
        using Capture capture = lan.StartCapture();
        using UcarpProcess a = lan.Start(1, Binary(master), "-k", "0");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        using UcarpProcess b = lan.Start(2, Binary(backup), "-k", "100");
        Assert.That(Wait.Until(() => b.Saw("Switching to state: BACKUP"), Short), Is.True, Describe(lan, a, b));
        Assert.That(Wait.Throughout(() => !b.Saw("MASTER"), PastMasterDown), Is.True, "the backup hears the master and stays backup\n" + Describe(lan, a, b));

        a.Signal("KILL");
        Assert.That(Wait.Until(() => lan.HoldsVip(2), Long), Is.True, Describe(lan, a, b));
        // The gratuitous ARP follows the upscript; wait for it on the wire.
        Assert.That(Wait.Until(() => capture.Current().Any(f => f.IsArp && f.ArpSender == TestLan.Vip && f.EtherSource != MasterMac(capture)), Short),
                    Is.True, Describe(lan, a, b));
        List<Frame> frames = capture.Stop();

        long failover = Failover(frames, TestLan.Address(1), TestLan.Address(2));
        const long floor = 3_000_000 + 100 * 1_000_000 / 256;
        TestContext.Out.WriteLine($"failover {master} -> {backup}: {failover / 1000.0:F1} ms (floor {floor / 1000.0:F1} ms)");
        Assert.That(failover, Is.InRange(floor - 5_000, floor + slackMs * 1000L));
    }

    /// <summary>The first master's MAC: the source of the first gratuitous ARP.</summary>
    static string MasterMac(Capture capture) => capture.Current().First(f => f.IsArp && f.ArpSender == TestLan.Vip).EtherSource;

    /// <summary>From the last advert of <paramref name="dead"/> to the first gratuitous ARP for the VIP after it.</summary>
    internal static long Failover(List<Frame> frames, string dead, string successor)
    {
        Frame last = frames.Last(f => f.IsCarp && f.IpSource == dead);
        // The dead master's own delayed second ARP may follow its last advert: the
        // takeover is the first ARP from another MAC.
        string deadMac = frames.First(f => f.IsArp && f.ArpSender == TestLan.Vip).EtherSource;
        Frame garp = frames.First(f => f.IsArp && f.ArpSender == TestLan.Vip && f.EtherSource != deadMac && f.Micros > last.Micros);
        Assert.That(frames.Any(f => f.IsCarp && f.IpSource == successor && f.Micros > last.Micros), Is.True, "the successor advertises");
        return garp.Micros - last.Micros;
    }

    [TestCase("clone", "debian")]
    [TestCase("clone", "clone")]
    public void With_P_the_preferred_node_preempts_the_master(string preferred, string master)
    {
        using var lan = new TestLan(2);
        using UcarpProcess b = lan.Start(2, Binary(master), "-k", "100", "-P");
        Assert.That(Wait.Until(() => lan.HoldsVip(2), Long), Is.True, Describe(lan, b));
        using UcarpProcess a = lan.Start(1, Binary(preferred), "-k", "0", "-P");
        // It preempts on the first advert it hears: well before its own 3 s timer.
        Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([1]), TimeSpan.FromSeconds(2.5)), Is.True, Describe(lan, a, b));
        Assert.That(a.WaitFor("[WARNING] Putting MASTER down - preemption", Short), Is.True, Describe(lan, a, b));
        Assert.That(Wait.Until(() => b.Saw("Preferred master advertised: going back to BACKUP state"), Short), Is.True, Describe(lan, a, b));
    }

    [TestCase("clone", "debian")]
    [TestCase("debian", "clone")]
    public void Without_P_the_current_master_keeps_the_vip(string preferred, string master)
    {
        using var lan = new TestLan(2);
        using UcarpProcess b = lan.Start(2, Binary(master), "-k", "100");
        Assert.That(Wait.Until(() => lan.HoldsVip(2), Long), Is.True, Describe(lan, b));
        using UcarpProcess a = lan.Start(1, Binary(preferred), "-k", "0");
        Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([2]), TimeSpan.FromSeconds(6)), Is.True, Describe(lan, a, b));
    }

    [TestCase("clone", "clone")]
    [TestCase("clone", "debian")]
    [TestCase("debian", "clone")]
    public void After_a_partition_heals_the_lower_address_keeps_the_vip(string first, string second)
    {
        using var lan = new TestLan(2);
        using UcarpProcess a = lan.Start(1, Binary(first));
        using UcarpProcess b = lan.Start(2, Binary(second));
        Assert.That(Wait.Until(() => lan.VipHolders().Count == 1, Long), Is.True, Describe(lan, a, b));
        lan.Isolate(1, true);
        lan.Isolate(2, true);
        Assert.That(Wait.Until(() => lan.VipHolders().Count == 2, Long), Is.True, "split brain while partitioned\n" + Describe(lan, a, b));
        lan.Isolate(1, false);
        lan.Isolate(2, false);
        // Equal intervals: 192.0.2.1 is the lower address as ucarp compares it, so .2 steps down.
        Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([1]), Short), Is.True, Describe(lan, a, b));
        Assert.That(Wait.Until(() => b.Saw("Preferred master advertised: going back to BACKUP state"), Short), Is.True, Describe(lan, a, b));
        // Each learns of the other from its own next read of the wire: ucarp's libpcap hands
        // it frames up to a second late, so its line may come after the clone's.
        Assert.That(Wait.Until(() => a.Saw("Non-preferred master advertising: reasserting control of VIP with another gratuitous arp"), Short), Is.True,
                    Describe(lan, a, b));
    }
}
