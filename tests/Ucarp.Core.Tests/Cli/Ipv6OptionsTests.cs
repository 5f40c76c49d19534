using Ucarp.Core.Cli;

namespace Ucarp.Core.Tests.Cli;

/// <summary>IPv6 on the command line: inet_pton's text, one family per daemon, ff02::12 by default.</summary>
public class Ipv6OptionsTests
{
    internal static (int Exit, Configuration? Config, List<string> Transcript) Run(params string[] args) => CliRun.Run(["-i", "eth0", "-v", "1", "-p", "pw"], args);

    [TestCase("2001:db8::1", "2001:db8::1")]
    [TestCase("::", "::")]
    [TestCase("::1", "::1")]
    [TestCase("2001:DB8:0:0:0:0:0:1", "2001:db8::1")]
    [TestCase("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1")]
    [TestCase("fe80::1:2:3:4", "fe80::1:2:3:4")]
    [TestCase("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8")]
    [TestCase("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0")]
    [TestCase("::ffff:192.0.2.1", "::ffff:192.0.2.1")]
    [TestCase("64:ff9b::192.0.2.33", "64:ff9b::c000:221")]
    [TestCase("ff02::12", "ff02::12")]
    [TestCase("0000:0000::0001", "::1")]
    public void Accepts_what_inet_pton_accepts(string text, string canonical)
    {
        Assert.That(Inet.TryParse(text, out IpAddress a), Is.True);
        Assert.That(a.IsV6, Is.True);
        Assert.That(a.ToString(), Is.EqualTo(canonical));
    }

    [TestCase(":")]
    [TestCase(":::")]
    [TestCase("1::2::3")]
    [TestCase(":1::2")]
    [TestCase("1::2:")]
    [TestCase("1:2:3:4:5:6:7:8:9")]
    [TestCase("1:2:3:4:5:6:7:8::")]
    [TestCase("::1:2:3:4:5:6:7:8")]
    [TestCase("12345::1")]
    [TestCase("g::1")]
    [TestCase("2001:db8::1%eth0")]
    [TestCase("[2001:db8::1]")]
    [TestCase("2001:db8::1/64")]
    [TestCase("::ffff:192.0.2")]
    [TestCase("::ffff:192.0.2.01")]
    [TestCase("::192.0.2.1:1")]
    [TestCase("1:2:3:4:5:6:7:192.0.2.1")]
    [TestCase(" ::1")]
    [TestCase("::1 ")]
    public void Refuses_what_inet_pton_refuses(string text) => Assert.That(Inet.TryParse(text, out _), Is.False);

    [Test]
    public void An_ipv6_daemon_takes_ff02_12_as_its_group()
    {
        var (exit, c, _) = Run("-s", "2001:db8::1", "-a", "2001:db8::100");
        Assert.That(exit, Is.Zero);
        Assert.That(c!.MulticastAddress.ToString(), Is.EqualTo("ff02::12"));
        Assert.That(c.VirtualAddressText, Is.EqualTo("2001:db8::100"));
    }

    [Test]
    public void An_ipv4_daemon_keeps_224_0_0_18()
    {
        var (exit, c, _) = Run("-s", "192.0.2.1", "-a", "192.0.2.100");
        Assert.That(exit, Is.Zero);
        Assert.That(c!.MulticastAddress.ToString(), Is.EqualTo("224.0.0.18"));
    }

    [Test]
    public void Scripts_get_the_address_as_typed()
    {
        var (exit, c, _) = Run("-s", "2001:db8::1", "-a", "2001:DB8:0::100");
        Assert.That(exit, Is.Zero);
        Assert.That(c!.VirtualAddressText, Is.EqualTo("2001:DB8:0::100"));
        Assert.That(c.VirtualAddress.ToString(), Is.EqualTo("2001:db8::100"));
    }

    [Test]
    public void An_ipv6_group_and_ipv6_peers_are_taken()
    {
        var (exit, c, _) = Run("-s", "2001:db8::1", "-a", "2001:db8::100", "-m", "ff02::1:12");
        Assert.That((exit, c!.MulticastAddress.ToString()), Is.EqualTo((0, "ff02::1:12")));
        (exit, c, _) = Run("-s", "2001:db8::1", "-a", "2001:db8::100", "--peer=2001:db8:1::2", "--peer", "fe80::2");
        Assert.That(exit, Is.Zero);
        Assert.That(c!.Peers.Select(p => p.ToString()), Is.EqualTo(new[] { "2001:db8:1::2", "fe80::2" }));
    }

    [TestCase("-s", "192.0.2.1", "-a", "2001:db8::100", "-s [192.0.2.1] and -a [2001:db8::100]")]
    [TestCase("-s", "2001:db8::1", "-a", "192.0.2.100", "-s [2001:db8::1] and -a [192.0.2.100]")]
    public void Mixed_families_are_refused_with_status_1(string o1, string v1, string o2, string v2, string named)
    {
        var (exit, _, transcript) = Run(o1, v1, o2, v2);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript.Last(), Is.EqualTo($"err: [ERROR] {named} are not of the same address family: one ucarp runs one family (start one per family)"));
    }

    [Test]
    public void A_group_or_peer_of_the_other_family_is_refused()
    {
        var (exit, _, transcript) = Run("-s", "2001:db8::1", "-a", "2001:db8::100", "-m", "224.0.0.18");
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript.Last(), Does.StartWith("err: [ERROR] -m [224.0.0.18] and -a [2001:db8::100] are not of the same address family"));
        (exit, _, transcript) = Run("-s", "192.0.2.1", "-a", "192.0.2.100", "--peer=2001:db8::2");
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript.Last(), Does.StartWith("err: [ERROR] --peer [2001:db8::2] and -a [192.0.2.100] are not of the same address family"));
    }

    [TestCase("--peer=ff02::1")]
    [TestCase("--peer=::1")]
    [TestCase("--peer=::")]
    public void Ipv6_peers_must_be_unicast(string option)
    {
        var (exit, _, transcript) = Run("-s", "2001:db8::1", "-a", "2001:db8::100", option);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript.Last(), Does.EndWith("is not a unicast address"));
    }

    [Test]
    public void The_unspecified_address_is_no_address_as_0_0_0_0_is()
    {
        var (exit, _, transcript) = Run("-s", "::", "-a", "2001:db8::100");
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript.Last(), Is.EqualTo("err: [ERROR] You must supply a persistent source address"));
    }

    [Test]
    public void Ucarp_checks_come_first_then_the_family()
    {
        // No -a at all: ucarp's own message, not a family complaint.
        var (exit, _, transcript) = Run("-s", "2001:db8::1");
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript.Last(), Is.EqualTo("err: [ERROR] You must supply a virtual host address"));
    }
}
