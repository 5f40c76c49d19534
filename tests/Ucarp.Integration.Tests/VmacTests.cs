using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// --vmac on a namespace LAN: the child vrrp.42 with 00:00:5e:00:01:2a exists while the
/// daemon runs, holds the address on MASTER, and every frame the group sends (adverts,
/// gratuitous ARPs) comes from the virtual MAC, as seen on the bridge. The child is gone
/// after SIGTERM (a command line without -z dies in its signal handler; with -z the loop
/// ends), the parent's ARP settings are put back, and one left by SIGKILL is replaced, not
/// duplicated, at the next start. An interface of that name that is not ours is refused
/// and left alone. keepalived's use_vmac makes the same child on its host, and the two
/// elect one master.
/// </summary>
public class VmacTests : NamespaceTest
{
    const string Child = "vrrp.42";
    const string VirtualMac = "00:00:5e:00:01:2a";
    const string VirtualMacHex = "00005E00012A";

    static UcarpProcess StartCarp(TestLan lan, int i, int skew, params string[] extra) =>
        lan.StartRaw(i, Binary("clone"),
            ["-i", "eth0", "-s", TestLan.Address(i), "-v", "42", "-p", "test", "-a", TestLan.Vip, "-k", skew.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--manage-addresses", "--vmac", .. extra]);

    /// <summary>`ip -o link show NAME` in node i, or null when there is no such link.</summary>
    static string? Link(TestLan lan, int i, string name)
    {
        string output = Shell.RunAllowingFailure("ip", ["-n", lan.Node(i), "-o", "link", "show", name], out int code);
        return code == 0 ? output : null;
    }

    static int Macvlans(TestLan lan, int i) =>
        lan.Ip("-n", lan.Node(i), "-o", "link", "show", "type", "macvlan").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    static bool VipOnChild(TestLan lan, int i) =>
        Link(lan, i, Child) is not null && lan.Ip("-n", lan.Node(i), "-o", "-4", "addr", "show", "dev", Child).Contains(TestLan.Vip + "/32", StringComparison.Ordinal);

    static bool VipOnEth0(TestLan lan, int i) => lan.Ip("-n", lan.Node(i), "-o", "-4", "addr", "show", "dev", "eth0").Contains(TestLan.Vip + "/", StringComparison.Ordinal);

    static string Sysctl(TestLan lan, int i, string iface, string name) =>
        Shell.Run("ip", "netns", "exec", lan.Node(i), "cat", $"/proc/sys/net/ipv4/conf/{iface}/{name}").Trim();

    static string Show(TestLan lan, params UcarpProcess[] processes) =>
        Describe(lan, processes) + "\n--- links:\n" + string.Join("\n", Enumerable.Range(1, lan.Count).Select(i => lan.Ip("-n", lan.Node(i), "-o", "link", "show")));

    [Test]
    public void Two_of_ours_fail_over_on_the_child_from_the_virtual_mac_and_leave_nothing_behind()
    {
        Binaries.RequireTcpdump();
        using var lan = new TestLan(2);
        using Capture capture = lan.StartCapture("proto 112 or arp");
        // Not the namespace's default (0) nor the daemon's (1): what is put back must be what was there.
        Shell.Run("ip", "netns", "exec", lan.Node(1), "sh", "-c", "echo 2 > /proc/sys/net/ipv4/conf/eth0/arp_ignore");
        using UcarpProcess first = StartCarp(lan, 1, 0);
        Assert.That(Wait.Until(() => VipOnChild(lan, 1), Long), Is.True, "node 1 is master, the address on its child\n" + Show(lan, first));
        using UcarpProcess second = StartCarp(lan, 2, 100);
        Assert.That(Wait.Until(() => Link(lan, 2, Child) is not null, Short), Is.True, Show(lan, first, second));
        Assert.Multiple(() =>
        {
            foreach (int i in new[] { 1, 2 })
            {
                Assert.That(Link(lan, i, Child), Does.Contain("link/ether " + VirtualMac).And.Contain("@eth0"), $"node {i}'s child");
                Assert.That(Sysctl(lan, i, "eth0", "arp_ignore"), Is.EqualTo("1"), $"node {i}: eth0 answers no ARP for the child's address");
                Assert.That(Sysctl(lan, i, "eth0", "arp_filter"), Is.EqualTo("1"));
                Assert.That(Sysctl(lan, i, Child, "arp_ignore"), Is.EqualTo("1"));
            }
            Assert.That(VipOnEth0(lan, 1), Is.False, "the address is on the child, not on eth0");
            Assert.That(Wait.Throughout(() => VipOnChild(lan, 1) && !VipOnChild(lan, 2), PastMasterDown), Is.True, "node 2 stays backup\n" + Show(lan, first, second));
        });

        // The adverts and the announcements left from the virtual MAC, the ARP's sender hardware address included.
        List<Frame> frames = capture.Current();
        Assert.That(frames.Any(f => f.IsCarp && f.IpSource == TestLan.Address(1) && f.EtherSource == VirtualMacHex), Is.True, "an advert of node 1 from the virtual MAC");
        Assert.That(frames.Where(f => f.IsCarp).All(f => f.EtherSource == VirtualMacHex), Is.True, "every advert from it");
        List<Frame> arps = frames.Where(f => f.IsArp && f.ArpSender == TestLan.Vip).ToList();
        Assert.That(arps, Is.Not.Empty, "node 1 announced the address");
        Assert.That(arps.All(f => f.EtherSource == VirtualMacHex && Convert.ToHexString(f.Bytes, 22, 6) == VirtualMacHex), Is.True,
                    string.Join("\n", arps.Select(f => Convert.ToHexString(f.Bytes))));

        // Without -z: the signal handler removes the child (its address with it) as the daemon dies; eth0 is as it was.
        first.Signal("TERM");
        Assert.That(first.WaitForExit(Long), Is.True, Show(lan, first));
        Assert.Multiple(() =>
        {
            Assert.That(Link(lan, 1, Child), Is.Null, "node 1's child is gone\n" + Show(lan, first));
            Assert.That(Sysctl(lan, 1, "eth0", "arp_ignore"), Is.EqualTo("2"), "put back");
            Assert.That(Sysctl(lan, 1, "eth0", "arp_filter"), Is.EqualTo("0"), "put back");
            Assert.That(first.Saw("Virtual MAC interface vrrp.42 removed"), Is.True, first.Output);
            Assert.That(first.Saw("[ERROR]"), Is.False, "the child removed as the daemon dies is no error of its group\n" + first.Output);
        });
        Assert.That(Wait.Until(() => VipOnChild(lan, 2), Long), Is.True, "node 2 takes over on its own child\n" + Show(lan, second));

        // SIGKILL cannot be caught: the child stays, with the address, until the next start replaces it.
        second.Signal("KILL");
        Assert.That(second.WaitForExit(Long), Is.True);
        Assert.That(VipOnChild(lan, 2), Is.True, "what SIGKILL leaves\n" + Show(lan, second));
        using UcarpProcess again = StartCarp(lan, 2, 100, "-z");
        Assert.That(again.WaitFor("Virtual MAC interface vrrp.42 was left by an earlier run: removed, and made again", Short), Is.True, Show(lan, again));
        Assert.That(Macvlans(lan, 2), Is.EqualTo(1), "one child, not two\n" + Show(lan, again));
        Assert.That(Wait.Until(() => VipOnChild(lan, 2), Long), Is.True, "alone, node 2 is master again\n" + Show(lan, again));
        Assert.That(lan.Ip("-n", lan.Node(2), "-o", "-4", "addr", "show", "to", TestLan.Vip).Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1),
                    "the address once on the host");

        // With -z the loop ends: the downscript's step, then the child.
        again.Signal("TERM");
        Assert.That(again.WaitForExit(Long), Is.True, Show(lan, again));
        Assert.That(again.ExitCode, Is.Zero, again.Output);
        // eth0's settings from before the SIGKILLed run are not known to this one: they stay 1 (ucarp(8) says so).
        Assert.That((Link(lan, 2, Child), Macvlans(lan, 2), Sysctl(lan, 2, "eth0", "arp_ignore")), Is.EqualTo(((string?)null, 0, "1")), Show(lan, again));
        Assert.That(again.Saw("Virtual MAC interface vrrp.42 removed"), Is.True, again.Output);
    }

    [Test]
    public void An_interface_of_that_name_that_is_not_ours_is_refused_and_left_alone()
    {
        using var lan = new TestLan(1);
        // A macvlan of eth0 with its own random MAC: somebody else's.
        lan.Ip("-n", lan.Node(1), "link", "add", Child, "link", "eth0", "type", "macvlan");
        using UcarpProcess ucarp = StartCarp(lan, 1, 0);
        Assert.That(ucarp.WaitForExit(Long), Is.True, Show(lan, ucarp));
        Assert.Multiple(() =>
        {
            Assert.That(ucarp.ExitCode, Is.EqualTo(2), ucarp.Output);
            Assert.That(ucarp.Saw($"Interface vrrp.42 exists and is not a macvlan of eth0 with MAC {VirtualMac}: not touched; remove it or give --vmac-name"), Is.True, ucarp.Output);
            Assert.That(Link(lan, 1, Child), Does.Not.Contain(VirtualMac), "still there, as it was");
            Assert.That(Macvlans(lan, 1), Is.EqualTo(1));
            Assert.That(Sysctl(lan, 1, "eth0", "arp_ignore"), Is.EqualTo("0"), "nothing changed on eth0");
        });

        // The very child keepalived's use_vmac makes (same name, parent and MAC, no mark of
        // ours): it may be serving addresses now, so it is not replaced either.
        lan.Ip("-n", lan.Node(1), "link", "del", Child);
        lan.Ip("-n", lan.Node(1), "link", "add", Child, "link", "eth0", "address", VirtualMac, "type", "macvlan", "mode", "private");
        string index = Link(lan, 1, Child)!.Split(':')[0];
        using UcarpProcess again = StartCarp(lan, 1, 0);
        Assert.That(again.WaitForExit(Long), Is.True, Show(lan, again));
        Assert.Multiple(() =>
        {
            Assert.That(again.ExitCode, Is.EqualTo(2), again.Output);
            Assert.That(again.Saw($"Interface vrrp.42 is a macvlan of eth0 with the group's MAC that another program made (keepalived's use_vmac, or by hand): not touched"),
                        Is.True, again.Output);
            Assert.That(Link(lan, 1, Child)!.Split(':')[0], Is.EqualTo(index), "the same interface, not one made again");
        });
    }

    [Test]
    public void Ours_and_keepalived_with_use_vmac_elect_one_master_on_their_children()
    {
        Keepalived.Require();
        using var lan = new TestLan(2);
        using UcarpProcess ours = lan.StartRaw(1, Binary("clone"),
            ["-i", "eth0", "-s", TestLan.Address(1), "-v", "42", "-a", TestLan.Vip, "--vrrp=3", "--priority=100", "--manage-addresses", "--vmac"]);
        Assert.That(Wait.Until(() => VipOnChild(lan, 1), Long), Is.True, Show(lan, ours));
        using (var keepalived = new Keepalived(lan, 2, new KeepalivedInstance(200) { UseVmac = true, Vips = [TestLan.Vip + "/32"] }))
        {
            Assert.That(Wait.Until(() => VipOnChild(lan, 2) && !VipOnChild(lan, 1), Long), Is.True,
                        "keepalived preempts on its vrrp.42, ours lets go of its own\n" + Show(lan, ours) + "\n" + keepalived.Describe());
            Assert.That(Link(lan, 2, Child), Does.Contain("link/ether " + VirtualMac), "keepalived's child has the same MAC");
            Assert.That(Wait.Throughout(() => VipOnChild(lan, 2) && !VipOnChild(lan, 1), PastMasterDown), Is.True,
                        "ours hears keepalived and stays backup\n" + Show(lan, ours));
            keepalived.Stop();
        }
        Assert.That(Wait.Until(() => VipOnChild(lan, 1), Long), Is.True, "ours takes over on keepalived's priority 0\n" + Show(lan, ours));
    }
}
