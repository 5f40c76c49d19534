using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>Two hosts share a VIP: the clone alone, and mixed with Debian's ucarp in both roles.</summary>
public class ElectionTests : NamespaceTest
{
    [TestCase("clone", "clone")]
    [TestCase("clone", "debian")]
    [TestCase("debian", "clone")]
    public void The_lower_advskew_becomes_master_and_holds_the_vip(string preferred, string other)
    {
        using var lan = new TestLan(2);
        using UcarpProcess a = lan.Start(1, Binary(preferred), "-k", "0");
        // Started together with Debian's ucarp, either order can briefly give two masters:
        // ucarp checks its timer and reads its capture only when its poll wakes, so as the
        // backup it took over before reading the master's first adverts, and as the
        // preferred node it woke after the clone's master-down (3.39 s) and took the address
        // back (each seen once, with the machine loaded). So the other node starts once the
        // preferred one is master, as with -M and --mcast below; two clones still start
        // together.
        if (preferred == "debian" || other == "debian")
        {
            Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        }
        using UcarpProcess b = lan.Start(2, Binary(other), "-k", "100");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a, b));
        // The backup heard the master and stays backup, with the VIP nowhere else (4 s:
        // longer than its master-down time, 3.39 s, which it would reach if it heard nothing).
        Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([1]), TimeSpan.FromSeconds(4)), Is.True, Describe(lan, a, b));
        Assert.That(b.Saw("Switching to state: MASTER"), Is.False, Describe(lan, a, b));
    }

    [TestCase("clone", "clone")]
    [TestCase("clone", "debian")]
    [TestCase("debian", "clone")]
    public void Equal_nodes_elect_exactly_one_master(string first, string second)
    {
        using var lan = new TestLan(2);
        using UcarpProcess a = lan.Start(1, Binary(first));
        using UcarpProcess b = lan.Start(2, Binary(second));
        // Equal timers expire together, so both may be master for an instant before the
        // address tie-break settles it (ucarp behaves the same).
        Assert.That(Wait.UntilSteady(() => lan.VipHolders().Count == 1, TimeSpan.FromSeconds(1), Long), Is.True, Describe(lan, a, b));
        Assert.That(Wait.Throughout(() => lan.VipHolders().Count == 1, TimeSpan.FromSeconds(3)), Is.True, Describe(lan, a, b));
    }

    [TestCase("clone", "clone")]
    [TestCase("clone", "debian")]
    [TestCase("debian", "clone")]
    public void Broadcast_adverts_with_M_interoperate(string preferred, string other)
    {
        using var lan = new TestLan(2);
        using Capture capture = lan.StartCapture();
        // The preferred node first, master before the other starts: started together, Debian's
        // ucarp (which checks its timer only when its poll wakes, up to a second late) may
        // become master after the other's 3.39 s, and both hold the address for an instant.
        using UcarpProcess a = lan.Start(1, Binary(preferred), "-k", "0", "-M");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        using UcarpProcess b = lan.Start(2, Binary(other), "-k", "100", "-M");
        // 4 s: longer than the other's master-down time (3.39 s), which it would reach if it heard nothing.
        Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([1]), TimeSpan.FromSeconds(4)), Is.True, Describe(lan, a, b));
        List<Frame> frames = capture.Stop();
        Assert.That(frames.Where(f => f.IsCarp).All(f => f.Bytes.Take(6).All(x => x == 0xff)), Is.True, "every advert to ff:ff:ff:ff:ff:ff");
        Assert.That(frames.Where(f => f.IsCarp).All(f => f.Bytes[30] == 224 && f.Bytes[33] == 18), Is.True, "IP destination still the group");
    }

    [TestCase("clone", "clone")]
    [TestCase("clone", "debian")]
    [TestCase("debian", "clone")]
    public void Another_multicast_group_interoperates(string preferred, string other)
    {
        using var lan = new TestLan(2);
        using Capture capture = lan.StartCapture();
        // The preferred node master before the other starts, as with -M above.
        using UcarpProcess a = lan.Start(1, Binary(preferred), "-k", "0", "--mcast=239.192.0.7");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        using UcarpProcess b = lan.Start(2, Binary(other), "-k", "100", "--mcast=239.192.0.7");
        Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([1]), TimeSpan.FromSeconds(4)), Is.True, Describe(lan, a, b));
        List<Frame> adverts = capture.Stop().Where(f => f.IsCarp).ToList();
        Assert.That(adverts, Is.Not.Empty);
        Assert.That(adverts.All(f => Convert.ToHexString(f.Bytes, 0, 6) == "01005E400007"), Is.True);
    }

    [TestCase("clone", "debian")]
    [TestCase("debian", "clone")]
    public void With_different_passwords_both_are_master_and_warn(string first, string second)
    {
        using var lan = new TestLan(2);
        using UcarpProcess a = lan.Start(1, Binary(first));
        using UcarpProcess b = lan.StartRaw(2, Binary(second), "-i", "eth0", "-s", TestLan.Address(2), "-v", "42", "-p", "other",
                                            "-a", TestLan.Vip, "-u", lan.UpScript, "-d", lan.DownScript);
        Assert.That(Wait.Until(() => lan.VipHolders().Count == 2, Long), Is.True, Describe(lan, a, b));
        Assert.That(Wait.Until(() => a.Saw("[WARNING] Bad digest - md2=[") && b.Saw("[WARNING] Bad digest - md2=["), Short), Is.True, Describe(lan, a, b));
    }
}
