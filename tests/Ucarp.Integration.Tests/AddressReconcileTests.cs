using System.Diagnostics;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// --manage-addresses against other programs on the host: an address of the group
/// removed behind a MASTER's back is put back and announced again; one added on a BACKUP
/// is removed; an address the daemon does not manage (or the same address with a prefix
/// the daemon never gives it) is never touched.
/// </summary>
public class AddressReconcileTests : NamespaceTest
{
    const string Extra = "192.0.2.101";

    static string Mac(TestLan lan, int i) =>
        lan.Ip("-n", lan.Node(i), "link", "show", "eth0").Split("link/ether ")[1][..17].Replace(":", "", StringComparison.Ordinal).ToUpperInvariant();

    static bool HasHost(TestLan lan, int i, string address) => lan.AddressesOf(i).Current(ipv6: false).Contains(address + "/32");

    /// <summary>
    /// A MASTER's addresses removed ten times by `ip addr del`, then all at once by `ip
    /// addr flush` (which takes the node's own 192.0.2.1/24 too): each time every address
    /// of the group is back within the bound and a gratuitous ARP for it follows; the
    /// node's own address, not the daemon's, is left gone.
    /// </summary>
    [Test]
    public void Addresses_removed_behind_a_masters_back_are_put_back_and_announced()
    {
        Binaries.RequireTcpdump();
        using var lan = new TestLan(1);
        using Capture capture = lan.StartCapture("arp");
        using UcarpProcess a = lan.StartRaw(1, Binaries.Clone, "-i", "eth0", "-s", TestLan.Address(1), "-v", "42", "-p", "test",
                                            "-a", TestLan.Vip, "--extra-addr=" + Extra, "--manage-addresses", "-k", "0");
        Assert.That(Wait.Until(() => HasHost(lan, 1, TestLan.Vip) && HasHost(lan, 1, Extra), Long), Is.True, a.Output);
        string mac = Mac(lan, 1);
        var took = new List<double>();
        for (int round = 0; round < 10; round++)
        {
            string address = round % 2 == 0 ? TestLan.Vip : Extra;
            long removedAt = (long)(HolderIntervals.Now * 1_000_000);
            var clock = Stopwatch.StartNew();
            lan.Ip("-n", lan.Node(1), "addr", "del", address + "/32", "dev", "eth0");
            Assert.That(Wait.Until(() => HasHost(lan, 1, address), Short), Is.True, $"round {round}: {address} put back\n" + a.Output);
            took.Add(clock.Elapsed.TotalMilliseconds);
            Assert.That(Wait.Until(() => capture.Current().Any(f => f.Micros > removedAt && f.IsArp && f.EtherSource == mac && f.ArpSender == address), Short),
                        Is.True, $"round {round}: {address} announced again");
        }
        took.Sort();
        TestContext.Out.WriteLine($"put back after removal: median {took[took.Count / 2]:F0} ms, max {took[^1]:F0} ms (20 ms polls)");
        // The log is written off the protocol's thread and read from a pipe: the last line may
        // reach the test after the address and its announcement did.
        Assert.That(Wait.Until(() => a.Count("by another program while MASTER: put back and announced again") == 10, Short), Is.True, a.Output);

        long flushedAt = (long)(HolderIntervals.Now * 1_000_000);
        lan.Ip("-n", lan.Node(1), "addr", "flush", "dev", "eth0");
        Assert.That(Wait.Until(() => HasHost(lan, 1, TestLan.Vip) && HasHost(lan, 1, Extra), Short), Is.True, "both back after a flush\n" + a.Output);
        Assert.That(Wait.Until(() => new[] { TestLan.Vip, Extra }.All(v => capture.Current().Any(f => f.Micros > flushedAt && f.IsArp && f.EtherSource == mac && f.ArpSender == v)), Short),
                    Is.True, "both announced after the flush");
        Assert.That(lan.AddressesOf(1).Current(ipv6: false), Has.None.StartsWith(TestLan.Address(1) + "/"), "the node's own address is not the daemon's to put back");
        Assert.That(a.HasExited, Is.False);
        Assert.That(a.Count("Switching to state:"), Is.EqualTo(2), "no role change throughout\n" + a.Output);
    }

    /// <summary>
    /// A --config daemon of four groups on one link: each address removed behind its back
    /// is put back by the group it belongs to (its line names it), and by no other, an
    /// --extra-addr and a group on a second link included.
    /// </summary>
    [Test]
    public void In_a_daemon_of_many_groups_the_group_that_owns_an_address_puts_it_back()
    {
        using var lan = new TestLan(1);
        lan.AddSecondLink();
        string config = Path.Combine(lan.Directory, "many.conf");
        File.WriteAllText(config,
            $"defaults -s {TestLan.Address(1)} -p test -k 0 --manage-addresses\n"
            + "group a -i eth0 -v 1 -a 192.0.2.101\n"
            + "group b -i eth0 -v 2 -a 192.0.2.102\n"
            + "group c -i eth0 -v 3 -a 192.0.2.103 --extra-addr=192.0.2.113\n"
            + "group d -i eth0 -v 4 -a 192.0.2.104\n"
            + $"group e -i eth1 -s {TestLan.SecondAddress(1)} -v 5 -a 198.51.100.103\n");
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using UcarpProcess a = lan.StartRaw(1, Binaries.Clone, "--config=" + config, "--control=" + Path.Combine(lan.Directory, "many.sock"));
        string[] eth0 = ["192.0.2.101", "192.0.2.102", "192.0.2.103", "192.0.2.113", "192.0.2.104"];
        Assert.That(Wait.Until(() => eth0.All(v => HasHost(lan, 1, v)) && a.Count("Switching to state: MASTER") == 5, Long), Is.True, a.Output);
        foreach ((string address, string group) in new[] { ("192.0.2.113", "c"), ("192.0.2.101", "a"), ("192.0.2.104", "d") })
        {
            lan.Ip("-n", lan.Node(1), "addr", "del", address + "/32", "dev", "eth0");
            Assert.That(Wait.Until(() => HasHost(lan, 1, address), Short), Is.True, $"{address} put back\n" + a.Output);
            Assert.That(a.WaitFor($"[{group}] Address {address}", Short), Is.True, $"{group} put {address} back\n" + a.Output);
        }
        var eth1 = new NamespaceAddresses(lan.Node(1), "eth1");
        Assert.That(Wait.Until(() => eth1.Has("198.51.100.103"), Short), Is.True, a.Output);
        lan.Ip("-n", lan.Node(1), "addr", "del", "198.51.100.103/32", "dev", "eth1");
        Assert.That(Wait.Until(() => eth1.Has("198.51.100.103"), Short), Is.True, "put back on eth1\n" + a.Output);
        Assert.That(a.WaitFor("[e] Address 198.51.100.103", Short), Is.True, a.Output);
        eth1.Dispose();
        Assert.That(a.Count("by another program while MASTER: put back and announced again"), Is.EqualTo(4), a.Output);
        Assert.That(lan.AddressesOf(1).Current(ipv6: false).Where(x => x.StartsWith("198.51.100.", StringComparison.Ordinal)), Is.Empty,
                    "nothing of eth1's on eth0");
    }

    /// <summary>
    /// On a BACKUP, the group's address added as /32 by another program is removed (the
    /// master holds it); the same address added by an administrator with another prefix
    /// is theirs, and stays, for longer than a removal takes.
    /// </summary>
    [Test]
    public void A_managed_address_added_on_a_backup_is_removed_and_an_administrators_own_is_left()
    {
        using var lan = new TestLan(2);
        string[] Options(int i, int skew) => ["-i", "eth0", "-s", TestLan.Address(i), "-v", "42", "-p", "test", "-a", TestLan.Vip,
                                              "--manage-addresses", "-k", skew.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        using UcarpProcess a = lan.StartRaw(1, Binaries.Clone, Options(1, 0));
        Assert.That(Wait.Until(() => HasHost(lan, 1, TestLan.Vip), Long), Is.True, a.Output);
        using UcarpProcess b = lan.StartRaw(2, Binaries.Clone, Options(2, 100));
        Assert.That(Wait.Until(() => b.Saw("Switching to state: BACKUP"), Long), Is.True, b.Output);

        var clock = Stopwatch.StartNew();
        lan.Ip("-n", lan.Node(2), "addr", "add", TestLan.Vip + "/32", "dev", "eth0");
        Assert.That(Wait.Until(() => !HasHost(lan, 2, TestLan.Vip), Short), Is.True, "removed from the backup\n" + b.Output);
        TestContext.Out.WriteLine($"removed from the backup after {clock.Elapsed.TotalMilliseconds:F0} ms (20 ms polls)");
        Assert.That(b.WaitFor("was added to eth0 by another program while not MASTER: removed", Short), Is.True, b.Output);

        lan.Ip("-n", lan.Node(2), "addr", "add", TestLan.Vip + "/25", "dev", "eth0");
        Assert.That(Wait.Throughout(() => lan.AddressesOf(2).Current(ipv6: false).Contains(TestLan.Vip + "/25"), TimeSpan.FromSeconds(2)), Is.True,
                    "an administrator's own address stays\n" + b.Output);
        Assert.That(b.Count("by another program"), Is.EqualTo(1), b.Output);
        Assert.That(HasHost(lan, 1, TestLan.Vip), Is.True, "the master keeps its address");
    }
}
