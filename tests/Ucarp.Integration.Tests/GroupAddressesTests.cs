using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// --extra-addr and --manage-addresses on real namespaces: a group of three addresses
/// and no scripts moves as one, each address announced; a restarted node drops what a
/// crash left behind; ucarp 1.5.2 peers see the same adverts.
/// </summary>
public class GroupAddressesTests : NamespaceTest
{
    static readonly string[] Addresses = [TestLan.Vip, "192.0.2.101", "192.0.2.102"];

    static string[] Managed(TestLan lan, int node, string advskew) =>
    [
        "-i", "eth0", "-s", TestLan.Address(node), "-v", "42", "-p", "test", "-a", TestLan.Vip,
        "--extra-addr", Addresses[1], "--extra-addr=" + Addresses[2], "--manage-addresses", "-k", advskew,
    ];

    /// <summary>The group's addresses node i holds, each as added by the daemon (/32).</summary>
    static List<string> Held(TestLan lan, int i)
    {
        List<string> shown = lan.AddressesOf(i).Current(ipv6: false);
        return [.. Addresses.Where(a => shown.Contains($"{a}/32"))];
    }

    [Test]
    public void A_managed_pair_without_scripts_moves_every_address_announces_each_and_drops_stale_ones_at_start()
    {
        Binaries.RequireTcpdump();
        using var lan = new TestLan(2);
        using Capture capture = lan.StartCapture("arp");
        using UcarpProcess a = lan.StartRaw(1, Binaries.Clone, Managed(lan, 1, "0"));
        Assert.That(Wait.Until(() => Held(lan, 1).Count == 3, Long), Is.True, Describe(lan, a));
        using UcarpProcess b = lan.StartRaw(2, Binaries.Clone, Managed(lan, 2, "100"));
        Assert.That(Wait.Until(() => b.Saw("Switching to state: BACKUP"), Short), Is.True, Describe(lan, a, b));
        Assert.That(a.Saw("no script called"), Is.False, "--manage-addresses needs no script\n" + Describe(lan, a));
        Assert.That(Held(lan, 2), Is.Empty, Describe(lan, a, b));
        Assert.That(Held(lan, 1), Is.EqualTo(Addresses));

        a.Signal("KILL");
        Assert.That(Wait.Until(() => Held(lan, 2).Count == 3, Long), Is.True, Describe(lan, a, b));
        string macA = Mac(lan, 1), macB = Mac(lan, 2);
        // A gratuitous ARP for each address from the new master, after the addresses are there.
        Assert.That(Wait.Until(() => Addresses.All(x => capture.Current().Any(f => f.IsArp && f.EtherSource == macB && f.ArpSender == x)), Short),
                    Is.True, Describe(lan, a, b));
        List<Frame> garps = capture.Current().Where(f => f.IsArp && f.EtherSource == macB).ToList();
        Assert.That(garps.Take(3).Select(f => f.ArpSender), Is.EqualTo(Addresses), "-a first, then the extras in order");
        Assert.That(capture.Current().Where(f => f.IsArp && f.EtherSource == macA).Select(f => f.ArpSender).Distinct(), Is.EquivalentTo(Addresses),
                    "the first master announced every address too");

        // The killed node kept its copies; restarted (as a backup) it removes them at start.
        Assert.That(Held(lan, 1), Is.EqualTo(Addresses), "SIGKILL leaves the addresses behind");
        a.WaitForExit(Short);
        using UcarpProcess again = lan.StartRaw(1, Binaries.Clone, Managed(lan, 1, "200"));
        Assert.That(Wait.Until(() => Held(lan, 1).Count == 0, Short), Is.True, Describe(lan, again, b));
        Assert.That(Wait.Throughout(() => Held(lan, 2).Count == 3 && Held(lan, 1).Count == 0, TimeSpan.FromSeconds(5)), Is.True,
                    "the restarted node stays backup: longer than its master-down time (3.8 s)\n" + Describe(lan, again, b));
        Assert.That(again.Saw("Switching to state: MASTER"), Is.False, Describe(lan, again, b));
    }

    /// <summary>
    /// Debian's ucarp and a clone with --extra-addr in one group: each stays backup behind
    /// the other's adverts for longer than a master-down time (a bad HMAC would make it
    /// master after 3.4 s), and the clone takes every address over when ucarp dies.
    /// </summary>
    [TestCase("debian")]
    [TestCase("clone")]
    public void A_ucarp_peer_accepts_the_adverts_of_a_clone_with_extra_addresses(string firstMaster)
    {
        Binaries.RequireDebian();
        using var lan = new TestLan(2);
        UcarpProcess debian, clone;
        if (firstMaster == "debian")
        {
            debian = lan.Start(1, Binaries.Debian, "-k", "0");
            Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, debian));
            clone = lan.StartRaw(2, Binaries.Clone, Managed(lan, 2, "100"));
        }
        else
        {
            clone = lan.StartRaw(2, Binaries.Clone, Managed(lan, 2, "0"));
            Assert.That(Wait.Until(() => Held(lan, 2).Count == 3, Long), Is.True, Describe(lan, clone));
            debian = lan.Start(1, Binaries.Debian, "-k", "100");
        }
        using (debian)
        using (clone)
        {
            UcarpProcess backup = firstMaster == "debian" ? clone : debian;
            Assert.That(Wait.Until(() => backup.Saw("Switching to state: BACKUP"), Short), Is.True, Describe(lan, debian, clone));
            Assert.That(Wait.Throughout(() => !backup.Saw("MASTER"), TimeSpan.FromSeconds(5)), Is.True, Describe(lan, debian, clone));
            Assert.That(debian.Saw("Bad digest") || clone.Saw("Bad digest"), Is.False, Describe(lan, debian, clone));
            if (firstMaster == "debian")
            {
                Assert.That(Held(lan, 2), Is.Empty, Describe(lan, debian, clone));
                debian.Signal("KILL");
                Assert.That(Wait.Until(() => Held(lan, 2).Count == 3, Long), Is.True, Describe(lan, debian, clone));
            }
            else
            {
                Assert.That(lan.HoldsVip(1), Is.False, Describe(lan, debian, clone));
                Assert.That(Held(lan, 2), Is.EqualTo(Addresses));
            }
        }
    }

    /// <summary>The shipped scripts add and remove the extras they find in UCARP_EXTRA_ADDRESSES.</summary>
    [Test]
    public void The_shipped_scripts_add_and_remove_the_extra_addresses()
    {
        using var lan = new TestLan(1);
        string up = Path.Combine(Binaries.Repository, "scripts", "vip-addr-up"), down = Path.Combine(Binaries.Repository, "scripts", "vip-addr-down");
        using UcarpProcess a = lan.StartRaw(1, Binaries.Clone, "-i", "eth0", "-s", TestLan.Address(1), "-v", "42", "-p", "test", "-a", TestLan.Vip,
                                            "--extra-addr", Addresses[1], "--extra-addr", Addresses[2], "-u", up, "-d", down, "-z");
        Assert.That(Wait.Until(() => Held(lan, 1).Count == 3, Long), Is.True, a.Output);
        a.Signal("TERM");
        Assert.That(a.WaitForExit(Short), Is.True, a.Output);
        Assert.That(Held(lan, 1), Is.Empty, a.Output);
    }

    /// <summary>IPv6: each address added as /128 with nodad (usable at once), each announced with an NA, all removed with -z.</summary>
    [Test]
    public void Managed_ipv6_addresses_are_added_without_dad_and_announced()
    {
        Binaries.RequireTcpdump();
        using var lan = new TestLan(1, ipv6: true);
        using Capture capture = lan.StartCapture("icmp6");
        string[] six = [TestLan.Vip6, "2001:db8::101", "2001:db8::102"];
        using UcarpProcess a = lan.StartRaw(1, Binaries.Clone, "-i", "eth0", "-s", TestLan.Address6(1), "-v", "42", "-p", "test", "-a", six[0],
                                            "--extra-addr", six[1], "--extra-addr", six[2], "--manage-addresses", "-z");
        string Shown() => lan.Ip("-n", lan.Node(1), "-6", "addr", "show", "dev", "eth0");
        Assert.That(Wait.Until(() => six.All(x => Shown().Contains(x + "/128 ", StringComparison.Ordinal)), Long), Is.True, a.Output);
        foreach (string x in six)
        {
            string line = Shown().Split('\n').First(l => l.Contains(x + "/128", StringComparison.Ordinal));
            Assert.That(line, Does.Contain("nodad").And.Not.Contain("tentative"), x);
        }
        Assert.That(Wait.Until(() => six.All(x => capture.Current().Any(f => f.IsNeighbourAdvert && f.NaTarget == x)), Short), Is.True, a.Output);
        a.Signal("TERM");
        Assert.That(a.WaitForExit(Short), Is.True, a.Output);
        Assert.That(six.Where(x => Shown().Contains(x + "/", StringComparison.Ordinal)), Is.Empty, a.Output);
    }

    static string Mac(TestLan lan, int i) =>
        lan.Ip("-n", lan.Node(i), "-o", "link", "show", "dev", "eth0").Split("link/ether ")[1][..17].Replace(":", "", StringComparison.Ordinal).ToUpperInvariant();
}
