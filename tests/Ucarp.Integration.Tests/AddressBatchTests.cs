using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Linux;
using Ucarp.Net;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// --manage-addresses' changes made in batches (issue 31: a backup taking over thousands
/// of groups): the address thread hands every change waiting to the kernel together, many
/// requests to a datagram, and each step still gets its own answer, in the order asked,
/// with the log lines one change alone gave. In process, on a thread inside a namespace
/// made for the test, on an interface of it.
/// </summary>
public class AddressBatchTests
{
    static IpAddress Ip(string text) => Inet.TryParse(text, out IpAddress a) ? a : throw new ArgumentException(text);

    static IpAddress[] Range(string prefix, int first, int last) =>
        Enumerable.Range(first, last - first + 1).Select(i => Ip($"{prefix}{i:x}")).ToArray();

    /// <summary>Interface d0 (a veth, its peer d1: this kernel has no dummy), up, in namespace <paramref name="ns"/>: its addresses, read from outside the thread.</summary>
    static NamespaceAddresses Dummy(string ns)
    {
        Shell.Run("ip", "-n", ns, "link", "add", "d0", "type", "veth", "peer", "name", "d1");
        Shell.Run("ip", "-n", ns, "link", "set", "d0", "up");
        return new NamespaceAddresses(ns, "d0");
    }

    [Test]
    public void Steps_sent_together_each_get_their_own_answer() => ThreadNamespace.Run("batch", ns =>
    {
        using NamespaceAddresses d0 = Dummy(ns);
        Shell.Run("ip", "-n", ns, "addr", "add", "2001:db8:1::5/128", "dev", "d0", "nodad");
        using var kernel = new KernelAddresses();
        KernelAddresses.Step[] steps =
        [
            new("d0", Range("2001:db8:1::", 1, 0x14), true),     // more than a datagram's 16, ::5 there already
            new("d0", [Ip("192.0.2.10")], true),
            new("nosuch0", [Ip("2001:db8:2::1")], true),
            new("d0", [Ip("2001:db8:1::30")], false),             // not there: gone already
            new("d0", [Ip("2001:db8:1::21")], true),
        ];
        var results = new AddressChanger.Result[steps.Length];
        kernel.ChangeAll(steps, results);

        Assert.That(results.Select(r => r.Changed), Is.EqualTo(new[] { true, true, false, false, true }));
        Assert.That(results.Select(r => string.Join("|", r.Errors)), Is.EqualTo(new[]
        {
            "", "", Messages.AddressAddFailed("2001:db8:2::1", "nosuch0", "No such device"), "", "",
        }));
        var expected = Range("2001:db8:1::", 1, 0x14).Append(Ip("2001:db8:1::21")).Select(a => a + "/128").ToList();
        Assert.That(d0.Current(ipv6: true).Where(a => a.StartsWith("2001:db8:", StringComparison.Ordinal)), Is.EquivalentTo(expected));
        Assert.That(d0.Current(ipv6: false), Is.EqualTo(new[] { "192.0.2.10/32" }));

        // Every one removed again, in one batch: changed, and nothing left.
        KernelAddresses.Step[] back = [new("d0", Range("2001:db8:1::", 1, 0x21), false), new("d0", [Ip("192.0.2.10")], false)];
        var removed = new AddressChanger.Result[back.Length];
        kernel.ChangeAll(back, removed);
        Assert.That(removed.Select(r => (r.Changed, r.Errors.Count)), Is.EqualTo(new[] { (true, 0), (true, 0) }));
        Assert.That(d0.Current(ipv6: true).Where(a => a.StartsWith("2001:db8:", StringComparison.Ordinal)), Is.Empty);
        Assert.That(d0.Current(ipv6: false), Is.Empty);
    });

    [Test]
    public void Requests_whose_acks_were_lost_are_asked_again_alone_and_counted_as_made() => ThreadNamespace.Run("acks", ns =>
    {
        using NamespaceAddresses d0 = Dummy(ns);
        int index = int.Parse(Shell.Run("ip", "-n", ns, "-o", "link", "show", "d0").Split(':')[0]);
        // A receive buffer far too small for 16 acks: the kernel drops most of a datagram's.
        using var netlink = new NetlinkAddresses(receiveBuffer: 1);
        IpAddress[] addresses = Range("2001:db8:3::", 1, 40);
        var requests = addresses.Select(a => new AddressRequest(index, a, add: true)).ToArray();
        netlink.ChangeAll(requests);

        Assert.That(netlink.AskedAgain, Is.GreaterThan(0), "some acks were lost and their requests asked again");
        Assert.That(requests.Select(r => r.Error), Has.All.EqualTo(SysError.None), "each made, asked again or not");
        Assert.That(d0.Current(ipv6: true).Where(a => a.StartsWith("2001:db8:3::", StringComparison.Ordinal)),
                    Is.EquivalentTo(addresses.Select(a => a + "/128")));

        // An address added and then removed in one datagram, both acks lost, ends removed:
        // asked again in order, the addition does not pass the removal.
        IpAddress flapping = Ip("2001:db8:3::100");
        // Ten others first: the buffer is full by the time the addition's ack comes.
        IpAddress[] others = Range("2001:db8:3::", 0x101, 0x10b);
        AddressRequest[] flap =
        [
            .. others[..10].Select(a => new AddressRequest(index, a, add: true)), new(index, flapping, add: true),
            new(index, others[10], add: true), new(index, flapping, add: false),
        ];
        int before = netlink.AskedAgain;
        netlink.ChangeAll(flap);
        Assert.That(netlink.AskedAgain - before, Is.GreaterThan(0));
        Assert.That(flap.Select(r => r.Error), Has.All.EqualTo(SysError.None));
        Assert.That(d0.Has("2001:db8:3::100"), Is.False, "the removal came last");
        Assert.That(others.All(a => d0.Has(a.ToString())), Is.True);
    });

    [Test]
    public void The_address_thread_tells_each_change_in_the_order_asked() => ThreadNamespace.Run("order", ns =>
    {
        using NamespaceAddresses d0 = Dummy(ns);
        // Made on this thread, so its own thread starts inside the namespace too.
        using var changer = new AddressChanger();
        var told = new List<string>();
        using var earlierTold = new ManualResetEventSlim();
        IpAddress[] addresses = Range("2001:db8:4::", 1, 50);
        for (int i = 0; i < addresses.Length; i++)
        {
            string name = i == 30 ? "nosuch0" : "d0";
            int n = i;
            Assert.That(changer.TryPost(name, [addresses[i]], add: true,
                        r => told.Add($"{n} {r.Changed} {string.Join("|", r.Errors)}")), Is.True);
            if (i == 20)
            {
                // Other work, between two changes: made after every change asked before it,
                // and those changes told before it is made (it waits until they are: other
                // work can be slow, and must not hold back what was done before it).
                int before = -1;
                bool toldFirst = false;
                changer.TryPost(_ => { before = CountOn(ns); toldFirst = earlierTold.Wait(TimeSpan.FromSeconds(10)); return true; },
                                r => told.Add($"work {before} {r.Changed} {toldFirst}"));
            }
        }
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); told.Count < addresses.Length + 1 && waited.Elapsed < TimeSpan.FromSeconds(20); Thread.Sleep(5))
        {
            changer.TellDone();   // the loop's part: each callback runs on the caller's thread
            if (told.Count >= 21)
            {
                earlierTold.Set();
            }
        }
        var expected = new List<string>();
        for (int i = 0; i < addresses.Length; i++)
        {
            expected.Add(i == 30 ? $"30 False {Messages.AddressAddFailed(addresses[i].ToString(), "nosuch0", "No such device")}" : $"{i} True ");
            if (i == 20)
            {
                expected.Add("work 21 True True");
            }
        }
        Assert.That(told, Is.EqualTo(expected));
        Assert.That(d0.Current(ipv6: true).Count(a => a.StartsWith("2001:db8:4::", StringComparison.Ordinal)), Is.EqualTo(addresses.Length - 1));
    });

    /// <summary>How many of the test's 2001:db8:4:: addresses d0 has now (read on the address thread, inside the namespace).</summary>
    static int CountOn(string ns)
    {
        using var d0 = new NamespaceAddresses(ns, "d0");
        return d0.Current(ipv6: true).Count(a => a.StartsWith("2001:db8:4::", StringComparison.Ordinal));
    }
}
