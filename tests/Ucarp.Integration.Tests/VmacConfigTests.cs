using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// --vmac under one --config daemon: two groups' children side by side on one parent, a
/// held group's child made (ahead of it, off the loop's thread) once its interface comes,
/// a reload that removes one group's child and adds another's while the third's is left
/// alone, a name another program holds refused in the reload's answer, and every child
/// gone, the parents' ARP settings put back, when the daemon ends. An IPv6 group's child
/// has the parent's link-local address (its MLD reports are not sent from ::).
/// </summary>
public class VmacConfigTests : NamespaceTest
{
    const string Defaults = "defaults --vrrp=3 --advert-int=0.1 --manage-addresses --vmac\n";
    const string First = "group one -i eth0 -s 192.0.2.1 -v 1 -a 192.0.2.101\n";
    const string Second = "group two -i eth0 -s 192.0.2.1 -v 2 -a 192.0.2.102\n";
    const string Late = "group late -i eth3 -s 203.0.113.1 -v 3 -a 203.0.113.103\n";
    static string Six(string linkLocal) => $"group six -i eth0 -s {linkLocal} -v 6 -a 2001:db8::106\n";

    static string Control(TestLan lan) => Path.Combine(lan.Directory, "ctl.sock");

    /// <summary>`ip -o link show NAME` in the node, or null when there is no such link.</summary>
    static string? Link(TestLan lan, string name)
    {
        string output = Shell.RunAllowingFailure("ip", ["-n", lan.Node(1), "-o", "link", "show", name], out int code);
        return code == 0 ? output : null;
    }

    static string Index(TestLan lan, string name) => Link(lan, name)!.Split(':')[0];

    /// <summary>Node 1's IPv6 addresses, "ADDRESS/PREFIX DEVICE" each.</summary>
    static List<string> Addresses6(TestLan lan) =>
        [.. lan.Ip("-n", lan.Node(1), "-6", "-o", "addr", "show").Split('\n', StringSplitOptions.RemoveEmptyEntries)
               .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length > 3 && f[2] == "inet6").Select(f => f[3] + " " + f[1])];

    static bool HasAddress(TestLan lan, string address, string device) => lan.AllAddresses(1).Contains($"{address}/32 {device}");

    static string Sysctl(TestLan lan, string iface, string name) =>
        Shell.Run("ip", "netns", "exec", lan.Node(1), "cat", $"/proc/sys/net/ipv4/conf/{iface}/{name}").Trim();

    static string Show(TestLan lan, UcarpProcess daemon) =>
        daemon.Output + "\n--- links:\n" + lan.Ip("-n", lan.Node(1), "-o", "link", "show") + "\n--- addresses:\n" + string.Join("\n", lan.AllAddresses(1));

    [Test]
    public void Children_are_made_for_held_and_reloaded_groups_and_removed_with_theirs()
    {
        using var lan = new TestLan(1, ipv6: true);
        Shell.Run("ip", "netns", "exec", lan.Node(1), "sh", "-c", "echo 2 > /proc/sys/net/ipv4/conf/eth0/arp_ignore");
        // VRRP over IPv6 is sent from the interface's link-local address: the child gets it too.
        Assert.That(Wait.Until(() => Addresses6(lan).Exists(a => a.StartsWith("fe80:", StringComparison.Ordinal) && a.EndsWith(" eth0", StringComparison.Ordinal)), Short), Is.True);
        string linkLocal = Addresses6(lan).Single(a => a.StartsWith("fe80:", StringComparison.Ordinal) && a.EndsWith(" eth0", StringComparison.Ordinal)).Split(' ')[0];
        string six = Six(linkLocal.Split('/')[0]);
        string config = Path.Combine(lan.Directory, "vmac.conf");
        File.WriteAllText(config, Defaults + First + Second + Late + six);
        using UcarpProcess daemon = lan.StartRaw(1, Binaries.Clone, ["--config=" + config, "--control=" + Control(lan)]);

        // Two children on eth0, each with its group's MAC and address; the third group waits for eth3.
        // Log lines are waited for: the daemon writes them from its own thread, and the
        // kernel's state the test looks at first can come before they reach the pipe.
        Assert.That(Wait.Until(() => HasAddress(lan, "192.0.2.101", "vrrp.1") && HasAddress(lan, "192.0.2.102", "vrrp.2"), Long), Is.True, Show(lan, daemon));
        Assert.Multiple(() =>
        {
            Assert.That(Link(lan, "vrrp.1"), Does.Contain("@eth0").And.Contain("link/ether 00:00:5e:00:01:01"));
            Assert.That(Link(lan, "vrrp.2"), Does.Contain("@eth0").And.Contain("link/ether 00:00:5e:00:01:02"));
            Assert.That(Sysctl(lan, "eth0", "arp_ignore"), Is.EqualTo("1"));
            Assert.That(daemon.WaitFor("[late] Held back until it can start (interface eth3 is missing)", Short), Is.True, daemon.Output);
        });
        string firstIndex = Index(lan, "vrrp.1");
        // The IPv6 group's child: the virtual router's IPv6 MAC, eth0's own link-local address.
        Assert.That(Wait.Until(() => Addresses6(lan).Contains("2001:db8::106/128 vrrp6.6"), Long), Is.True, Show(lan, daemon) + string.Join("\n", Addresses6(lan)));
        Assert.Multiple(() =>
        {
            Assert.That(Link(lan, "vrrp6.6"), Does.Contain("link/ether 00:00:5e:00:02:06"));
            Assert.That(Addresses6(lan), Does.Contain(linkLocal + " vrrp6.6"), "the child's link-local address is eth0's\n" + string.Join("\n", Addresses6(lan)));
            Assert.That(Addresses6(lan).Count(a => a.StartsWith("fe80:", StringComparison.Ordinal) && a.EndsWith(" vrrp6.6", StringComparison.Ordinal)), Is.EqualTo(1));
        });

        // eth3 comes: the held group's child is made ahead of it, then the group starts on it.
        lan.Ip("-n", lan.Node(1), "link", "add", "eth3", "type", "veth", "peer", "name", "eth3p");
        lan.Ip("-n", lan.Node(1), "link", "set", "eth3p", "up");
        lan.Ip("-n", lan.Node(1), "addr", "add", "203.0.113.1/24", "dev", "eth3");
        lan.Ip("-n", lan.Node(1), "link", "set", "eth3", "up");
        Assert.That(Wait.Until(() => HasAddress(lan, "203.0.113.103", "vrrp.3"), Long), Is.True, Show(lan, daemon));
        Assert.Multiple(() =>
        {
            Assert.That(Link(lan, "vrrp.3"), Does.Contain("@eth3").And.Contain("link/ether 00:00:5e:00:01:03"));
            Assert.That(daemon.WaitFor("[late] Virtual MAC interface vrrp.3 (00:00:5e:00:01:03) made on eth3", Short), Is.True, daemon.Output);
            Assert.That(daemon.WaitFor("[late] Switching to state: MASTER", Short), Is.True, "a group started after it was held logs as the others do\n" + daemon.Output);
            Assert.That(Sysctl(lan, "eth3", "arp_ignore"), Is.EqualTo("1"));
        });

        // A reload: two goes (its child with it), four comes on a child made ahead; one is untouched.
        const string Fourth = "group four -i eth0 -s 192.0.2.1 -v 4 -a 192.0.2.104\n";
        File.WriteAllText(config, Defaults + First + Late + six + Fourth);
        CtlResult reload = Ucarpctl.Run(Control(lan), "reload");
        Assert.That(reload.Code, Is.Zero, reload + "\n" + Show(lan, daemon));
        Assert.That(reload.Out, Does.Contain("added [four], removed [two]").And.Not.Contain("Held back"), "its child was made before the group was made ready");
        Assert.That(Wait.Until(() => HasAddress(lan, "192.0.2.104", "vrrp.4") && Link(lan, "vrrp.2") is null, Long), Is.True, Show(lan, daemon));
        Assert.Multiple(() =>
        {
            Assert.That(daemon.WaitFor("[two] Virtual MAC interface vrrp.2 removed", Short), Is.True, daemon.Output);
            Assert.That(daemon.WaitFor("[four] Virtual MAC interface vrrp.4 (00:00:5e:00:01:04) made on eth0", Short), Is.True, daemon.Output);
            Assert.That(Index(lan, "vrrp.1"), Is.EqualTo(firstIndex), "the unchanged group's child is the same interface");
            Assert.That(HasAddress(lan, "192.0.2.101", "vrrp.1"), Is.True);
            Assert.That(Sysctl(lan, "eth0", "arp_ignore"), Is.EqualTo("1"), "eth0 still has children");
        });

        // A name another program holds: that group is held back, and the reload's answer says why.
        lan.Ip("-n", lan.Node(1), "link", "add", "vrrp.5", "link", "eth0", "type", "macvlan");
        string foreign = Index(lan, "vrrp.5");
        File.WriteAllText(config, Defaults + First + Late + six + Fourth + "group five -i eth0 -s 192.0.2.1 -v 5 -a 192.0.2.105\n");
        reload = Ucarpctl.Run(Control(lan), "reload");
        Assert.That(reload.Code, Is.Zero, reload.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(reload.Out, Does.Contain("[five] Held back until it can start").And.Contain("Interface vrrp.5 exists and is not a macvlan of eth0"), reload.ToString());
            Assert.That(Index(lan, "vrrp.5"), Is.EqualTo(foreign), "left alone");
        });

        daemon.Signal("TERM");
        Assert.That(daemon.WaitForExit(Long), Is.True, Show(lan, daemon));
        Assert.Multiple(() =>
        {
            Assert.That(daemon.ExitCode, Is.Zero, daemon.Output);
            foreach (string child in new[] { "vrrp.1", "vrrp.3", "vrrp.4", "vrrp6.6" })
            {
                Assert.That(Link(lan, child), Is.Null, child + " is removed\n" + Show(lan, daemon));
            }
            Assert.That(Index(lan, "vrrp.5"), Is.EqualTo(foreign), "not ours: still there");
            // vrrp.5's MAC is not a virtual router's: nothing on eth0 needs them any more.
            Assert.That(Sysctl(lan, "eth0", "arp_ignore"), Is.EqualTo("2"), "put back");
            Assert.That(Sysctl(lan, "eth3", "arp_ignore"), Is.EqualTo("0"), "put back");
            Assert.That(daemon.Output.Split('\n').Where(l => l.Contains("[ERROR]", StringComparison.Ordinal) && !l.Contains("vrrp.5", StringComparison.Ordinal)),
                        Is.Empty, daemon.Output);
        });
    }
}
