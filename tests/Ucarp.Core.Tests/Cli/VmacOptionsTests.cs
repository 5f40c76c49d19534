using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Config;
using Ucarp.Core.Tests.Config;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Cli;

/// <summary>--vmac and --vmac-name: the child's name and MAC, what is refused, and the frames and scripts that follow from it.</summary>
public class VmacOptionsTests
{
    static (int Exit, Configuration? Config, List<string> Transcript) Run(params string[] args) =>
        CliRun.Run(["-i", "eth0", "-v", "51", "-u", "/up", "-d", "/down"], args);

    static readonly string[] Carp4 = ["-p", "pw", "-s", "192.0.2.1", "-a", "192.0.2.100"];

    [Test]
    public void Off_by_default()
    {
        var (exit, config, _) = Run(Carp4);
        Assert.That(exit, Is.Zero);
        Assert.That(config!.Vmac, Is.False);
        Assert.That(config.VmacInterface, Is.Null);
    }

    [TestCase(new[] { "-p", "pw", "-s", "192.0.2.1", "-a", "192.0.2.100" }, "vrrp.51", "00-00-5E-00-01-33")]
    [TestCase(new[] { "--vrrp=3", "-s", "192.0.2.1", "-a", "192.0.2.100" }, "vrrp.51", "00-00-5E-00-01-33")]
    [TestCase(new[] { "--vrrp=3", "-s", "fe80::1", "-a", "2001:db8::100" }, "vrrp6.51", "00-00-5E-00-02-33")]
    [TestCase(new[] { "-p", "pw", "-s", "2001:db8::1", "-a", "2001:db8::100" }, "vrrp6.51", "00-00-5E-00-02-33")]
    public void The_child_is_named_by_id_and_family_and_has_the_virtual_router_mac(string[] group, string name, string mac)
    {
        var (exit, config, _) = Run([.. group, "--vmac"]);
        Assert.That(exit, Is.Zero);
        Assert.That(config!.VmacInterface, Is.EqualTo(name));
        CarpSettings settings = CarpSettings.From(config, [], [0x02, 0, 0, 0, 0, 1]);
        Assert.That(BitConverter.ToString(settings.Mac), Is.EqualTo(mac), "the MAC every frame of the group comes from");
        Assert.That(settings.ScriptInterface, Is.EqualTo(name), "the scripts' interface argument");
    }

    [Test]
    public void A_name_implies_vmac()
    {
        var (exit, config, _) = Run([.. Carp4, "--vmac-name=gw0"]);
        Assert.That(exit, Is.Zero);
        Assert.That((config!.Vmac, config.VmacInterface), Is.EqualTo((true, "gw0")));
    }

    [TestCase("")]
    [TestCase("sixteen-chars-xx")]
    [TestCase("a/b")]
    [TestCase("a:b")]
    [TestCase("a b")]
    [TestCase(".")]
    [TestCase("..")]
    [TestCase("caf\u00e9")]
    [TestCase("gw%d")]
    public void Names_the_kernel_would_refuse_end_with_status_1(string name)
    {
        var (exit, _, transcript) = Run([.. Carp4, "--vmac-name=" + name]);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript.Last(), Is.EqualTo(
            $"err: [ERROR] --vmac-name must be an interface name of 1 to 15 printable characters without '/', ':', '%' or spaces: [{name}]"));
    }

    [Test]
    public void The_name_of_i_itself_is_refused()
    {
        var (exit, _, transcript) = Run([.. Carp4, "--vmac-name=eth0"]);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript.Last(), Is.EqualTo("err: [ERROR] --vmac-name [eth0] is -i's own name: the child needs a name of its own"));
    }

    [Test]
    public void An_etcd_group_is_refused()
    {
        var (exit, _, transcript) = Run("-p", "pw", "-s", "192.0.2.1", "-a", "192.0.2.100", "--etcd=http://192.0.2.9:2379", "--vmac");
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript.Last(), Does.EndWith("--vmac cannot be used with --etcd: an etcd group sends no adverts for the virtual MAC to stand for"));
    }

    [Test]
    public void A_peer_group_is_refused()
    {
        var (exit, _, transcript) = Run([.. Carp4, "--peer=192.0.2.2", "--vmac"]);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript.Last(), Does.EndWith("--vmac cannot be used with --peer: unicast adverts come to -i's own MAC, and the group listens on its child"));
    }

    [Test]
    public void A_carp_advert_comes_from_the_virtual_mac_and_without_vmac_from_ucarps()
    {
        var fields = new AdvertFields(new IpAddress(192, 0, 2, 1), Configuration.DefaultMulticast, false, 51, 1, 0, 7, 9);
        var frame = new byte[CarpHeader.AdvertFrameSize];
        AdvertFrame.Build(fields, new CarpHmac("pw"u8, 51, new IpAddress(192, 0, 2, 100)), frame);
        Assert.That(BitConverter.ToString(frame, 6, 6), Is.EqualTo("00-00-5E-00-00-33"), "ucarp's, byte for byte");
        AdvertFrame.Build(fields with { SourceMac = VmacOptions.Mac(51, v6: false) }, new CarpHmac("pw"u8, 51, new IpAddress(192, 0, 2, 100)), frame);
        Assert.That(BitConverter.ToString(frame, 6, 6), Is.EqualTo("00-00-5E-00-01-33"));
    }

    [Test]
    public void A_gratuitous_arp_names_the_virtual_mac_as_sender()
    {
        var frame = new byte[64];
        GratuitousArp.Build(VmacOptions.Mac(51, v6: false), new IpAddress(192, 0, 2, 100), frame);
        Assert.That(BitConverter.ToString(frame, 6, 6), Is.EqualTo("00-00-5E-00-01-33"), "Ethernet source");
        Assert.That(BitConverter.ToString(frame, 22, 6), Is.EqualTo("00-00-5E-00-01-33"), "ARP sender hardware address");
    }

    [Test]
    public void A_file_refuses_two_groups_with_one_child_and_takes_them_named_apart()
    {
        const string Defaults = "defaults -s 192.0.2.1 -p pw --vmac -u /up -d /down\n";
        ConfigReadResult clash = ConfigReaderTests.Read(Defaults + "group a -i eth0 -v 51 -a 192.0.2.100\ngroup b -i eth1 -v 51 -a 192.0.2.101\n");
        Assert.That(clash.Diagnostics.Select(d => d.Format("F")),
            Is.EqualTo(new[] { "F:3: virtual MAC interface vrrp.51 is already group [a]'s, on line 2: give --vmac-name" }));
        ConfigReadResult named = ConfigReaderTests.Read(Defaults + "group a -i eth0 -v 51 -a 192.0.2.100\ngroup b -i eth1 -v 51 -a 192.0.2.101 --vmac-name=vrrp.51b\n");
        Assert.That(named.Diagnostics, Is.Empty);
        Assert.That(named.Groups.Select(g => g.Settings.VmacInterface), Is.EqualTo(new[] { "vrrp.51", "vrrp.51b" }));
    }

    [Test]
    public void A_reload_that_gives_or_takes_vmac_changes_the_group()
    {
        ConfigReadResult before = ConfigReaderTests.Read("group a -i eth0 -s 192.0.2.1 -p pw -v 51 -a 192.0.2.100 --manage-addresses\n");
        ConfigReadResult after = ConfigReaderTests.Read("group a -i eth0 -s 192.0.2.1 -p pw -v 51 -a 192.0.2.100 --manage-addresses --vmac\n");
        Assert.That(ReloadDiff.Differences(before.Groups[0], after.Groups[0]), Has.Some.Contains("--vmac"));
    }

    [TestCase("fe80::1", "fe80::1")]
    [TestCase("febf::2", "febf::2")]
    [TestCase("2001:db8::1", "fe80::200:5eff:fe00:102")]
    [TestCase("fec0::1", "fe80::200:5eff:fe00:102")]
    public void An_ipv6_child_takes_a_link_local_source_or_the_parents_eui64_address(string source, string expected)
    {
        Assert.That(Inet.TryParse6(source, out IpAddress s), Is.True);
        // The U/L bit (0x02) of the parent's MAC is flipped, as RFC 4291 appendix A has it.
        byte[] parentMac = [0x00, 0x00, 0x5e, 0x00, 0x01, 0x02];
        Assert.That(VmacOptions.LinkLocal(s, parentMac).ToString(), Is.EqualTo(expected));
    }
}
