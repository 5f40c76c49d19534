using Ucarp.Core.Cli;
using Ucarp.Core.Config;
using Ucarp.Core.Tests.Config;

namespace Ucarp.Core.Tests.Cli;

/// <summary>--extra-addr and --manage-addresses on a command line and in a config file.</summary>
public class AddressOptionsTests
{
    static (int Exit, Configuration? Config, List<string> Transcript) Run(params string[] args) => Ipv6OptionsTests.Run(args);

    [Test]
    public void Extra_addresses_are_kept_in_the_order_given_whatever_the_place_of_a()
    {
        var (exit, config, _) = Run("--extra-addr=192.0.2.102", "-s", "192.0.2.1", "--extra-addr", "192.0.2.101", "-a", "192.0.2.100", "-u", "/up", "-d", "/down");
        Assert.That(exit, Is.Zero);
        Assert.That(config!.ExtraAddresses.Select(a => a.ToString()), Is.EqualTo(new[] { "192.0.2.102", "192.0.2.101" }));
        Assert.That(config.ManageAddresses, Is.False);
    }

    [Test]
    public void Ipv6_extras_go_with_an_ipv6_address()
    {
        var (exit, config, _) = Run("-s", "2001:db8::1", "-a", "2001:db8::100", "--extra-addr", "2001:DB8::101", "--manage-addresses");
        Assert.That(exit, Is.Zero);
        Assert.That(config!.ExtraAddresses.Single().ToString(), Is.EqualTo("2001:db8::101"));
        Assert.That(config.ManageAddresses, Is.True);
    }

    [TestCase(new[] { "--extra-addr", "192.0.2.300" }, "err: [ERROR] --extra-addr needs an IPv4 or IPv6 address: [192.0.2.300]")]
    [TestCase(new[] { "--extra-addr", "" }, "err: [ERROR] --extra-addr needs an IPv4 or IPv6 address: []")]
    [TestCase(new[] { "--extra-addr", "2001:db8::5" }, "err: [ERROR] --extra-addr [2001:db8::5] and -a [192.0.2.100] are not of the same address family: one ucarp runs one family (start one per family)")]
    [TestCase(new[] { "--extra-addr", "192.0.2.100" }, "err: [ERROR] --extra-addr [192.0.2.100] is the virtual address (-a) itself")]
    [TestCase(new[] { "--extra-addr", "192.0.2.101", "--extra-addr=192.0.2.101" }, "err: [ERROR] --extra-addr [192.0.2.101] is given twice")]
    public void Bad_extra_addresses_end_with_status_1(string[] extra, string message)
    {
        var (exit, _, transcript) = Run(["-s", "192.0.2.1", "-a", "192.0.2.100", "-u", "/up", "-d", "/down", .. extra]);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript.Last(), Is.EqualTo(message));
    }

    [Test]
    public void Without_scripts_only_manage_addresses_silences_the_no_script_warnings()
    {
        var (_, _, plain) = Run("-s", "192.0.2.1", "-a", "192.0.2.100", "--extra-addr", "192.0.2.101");
        Assert.That(plain, Does.Contain("err: [WARNING] Warning: no script called when going up"));
        var (exit, _, managed) = Run("-s", "192.0.2.1", "-a", "192.0.2.100", "--manage-addresses");
        Assert.That(exit, Is.Zero);
        Assert.That(managed.Where(l => l.Contains("no script", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public void A_file_refuses_an_extra_address_that_is_another_groups()
    {
        const string Base = "defaults -i eth0 -s 192.0.2.1 -p pw --manage-addresses\n";
        ConfigReadResult both = ConfigReaderTests.Read(Base + "group web -v 1 -a 192.0.2.10 --extra-addr 192.0.2.20\ngroup db -v 2 -a 192.0.2.11 --extra-addr 192.0.2.20\n");
        Assert.That(both.Diagnostics.Select(d => d.Format("F")), Is.EqualTo(new[] { "F:3: address 192.0.2.20 is already group [web]'s, on line 2" }));
        ConfigReadResult vip = ConfigReaderTests.Read(Base + "group web -v 1 -a 192.0.2.10 --extra-addr 192.0.2.20\ngroup db -v 2 -a 192.0.2.20\n");
        Assert.That(vip.Diagnostics.Select(d => d.Format("F")), Is.EqualTo(new[] { "F:3: address 192.0.2.20 is already group [web]'s, on line 2" }));
        ConfigReadResult fine = ConfigReaderTests.Read(Base + "group web -v 1 -a 192.0.2.10 --extra-addr 192.0.2.20\ngroup db -v 2 -a 192.0.2.11 --extra-addr 192.0.2.21\n");
        Assert.That(fine.Diagnostics, Is.Empty);
        Assert.That(fine.Groups[0].Settings.ExtraAddresses.Single().ToString(), Is.EqualTo("192.0.2.20"));
    }
}
