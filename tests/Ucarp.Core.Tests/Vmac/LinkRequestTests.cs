using Ucarp.Core.Vmac;

namespace Ucarp.Core.Tests.Vmac;

/// <summary>
/// --vmac's rtnetlink requests byte for byte, written out field by field from
/// linux/netlink.h, linux/rtnetlink.h and linux/if_link.h (what "ip link add vrrp.51 link
/// eth0 address 00:00:5e:00:01:33 type macvlan mode private" sends), and the reading of the
/// kernel's description of a link.
/// </summary>
public class LinkRequestTests
{
    static readonly byte[] Mac51 = [0x00, 0x00, 0x5e, 0x00, 0x01, 0x33];

    static byte[] Hex(string text) => Convert.FromHexString(string.Concat(text.Where(char.IsAsciiHexDigit)));

    const string Info0 = "00 00 0000 00000000 00000000 00000000";   // ifinfomsg: AF_UNSPEC, no index, flags, change

    [Test]
    public void A_new_macvlan_child_in_private_mode_with_the_virtual_mac()
    {
        byte[] expected = Hex(
            "5c000000 1000 0506 01000000 00000000" +     // nlmsghdr: 92 bytes, RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE, seq 1
            Info0 +
            "0c00 0300 767272702e353100" +               // IFLA_IFNAME "vrrp.51\0"
            "0800 0500 02000000" +                       // IFLA_LINK 2: the parent
            "0a00 0100 00005e000133 0000" +              // IFLA_ADDRESS 00:00:5e:00:01:33, padded
            "1c00 1280" +                                // IFLA_LINKINFO, nested, 28 bytes
            "  0b00 0100 6d6163766c616e 00" +            //   IFLA_INFO_KIND "macvlan", padded
            "  0c00 0280" +                              //   IFLA_INFO_DATA, nested
            "    0800 0100 01000000");                   //     IFLA_MACVLAN_MODE private
        Assert.That(Convert.ToHexString(LinkRequest.NewMacvlan(1, "vrrp.51", 2, Mac51)), Is.EqualTo(Convert.ToHexString(expected)));
    }

    [Test]
    public void A_link_looked_up_by_name()
    {
        byte[] expected = Hex("2c000000 1200 0500 07000000 00000000" + Info0 + "0c00 0300 767272702e353100");
        Assert.That(Convert.ToHexString(LinkRequest.Get(7, "vrrp.51")), Is.EqualTo(Convert.ToHexString(expected)));
    }

    [Test]
    public void A_link_removed_by_name()
    {
        byte[] expected = Hex("2c000000 1100 0500 08000000 00000000" + Info0 + "0c00 0300 767272702e353100");
        Assert.That(Convert.ToHexString(LinkRequest.DeleteNamed(8, "vrrp.51")), Is.EqualTo(Convert.ToHexString(expected)));
    }

    [Test]
    public void Up_and_delete_name_the_link_by_its_index()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Convert.ToHexString(LinkRequest.Up(3, 9)),
                Is.EqualTo(Convert.ToHexString(Hex("20000000 1000 0500 03000000 00000000  00 00 0000 09000000 01000000 01000000"))));
            Assert.That(Convert.ToHexString(LinkRequest.Delete(4, 9)),
                Is.EqualTo(Convert.ToHexString(Hex("20000000 1100 0500 04000000 00000000  00 00 0000 09000000 00000000 00000000"))));
        });
    }

    [Test]
    public void No_link_local_address_is_addr_gen_mode_none_under_af_inet6()
    {
        byte[] expected = Hex(
            "30000000 1000 0500 05000000 00000000  00 00 0000 09000000 00000000 00000000" +
            "1000 1a80" +                                // IFLA_AF_SPEC, nested
            "  0c00 0a80" +                              //   AF_INET6, nested
            "    0500 0800 01 000000");                  //     IFLA_INET6_ADDR_GEN_MODE none, padded
        Assert.That(Convert.ToHexString(LinkRequest.NoLinkLocal(5, 9)), Is.EqualTo(Convert.ToHexString(expected)));
    }

    [Test]
    public void The_childs_mark_is_its_alias()
    {
        byte[] expected = Hex(
            "30000000 1000 0500 06000000 00000000  00 00 0000 09000000 00000000 00000000" +
            "0f00 1400 7563617270207069642034 00");      // IFLA_IFALIAS "ucarp pid 4" (no NUL, as iproute2), padded
        Assert.That(Convert.ToHexString(LinkRequest.Alias(6, 9, VmacMark.Of(4))), Is.EqualTo(Convert.ToHexString(expected)));
    }

    [TestCase("ucarp pid 1234", true, 1234)]
    [TestCase("ucarp pid 0", false, 0)]
    [TestCase("ucarp pid -3", false, 0)]
    [TestCase("ucarp pid 12x", false, 0)]
    [TestCase("ucarp pid ", false, 0)]
    [TestCase("keepalived", false, 0)]
    [TestCase(null, false, 0)]
    public void A_mark_names_its_makers_pid_and_nothing_else_is_one(string? alias, bool mark, int pid)
    {
        Assert.That(VmacMark.TryRead(alias, out int read), Is.EqualTo(mark));
        Assert.That(read, Is.EqualTo(pid));
    }

    [Test]
    public void The_alias_is_read_back()
    {
        byte[] plain = Described("macvlan", 2, Mac51);
        byte[] attribute = Hex("0f00 1400 7563617270207069642034 00");
        byte[] message = [.. plain, .. attribute];
        BitConverter.TryWriteBytes(message, message.Length);
        Assert.That(LinkReply.TryRead(message, out LinkFacts facts) && facts.Alias == "ucarp pid 4", Is.True);
        Assert.That(LinkReply.TryRead(plain, out LinkFacts none) && none.Alias is null, Is.True);
    }

    /// <summary>A kernel's RTM_NEWLINK for a macvlan child, cut to what is read, with an attribute the reader skips.</summary>
    static byte[] Described(string kind, int parent, byte[] mac)
    {
        string kindHex = Convert.ToHexString(System.Text.Encoding.ASCII.GetBytes(kind + "\0"));
        int kindLength = 4 + kind.Length + 1;
        string kindPad = new('0', ((kindLength + 3) / 4 * 4 - kindLength) * 2);
        int infoLength = 4 + (kindLength + 3) / 4 * 4;
        string body = Info0.Replace("00000000 00000000 00000000", "0c000000 43100100 00000000", StringComparison.Ordinal) +
            "0800 0400 dc050000" +                                                   // IFLA_MTU 1500: skipped
            $"{infoLength:x2}00 1200 {kindLength:x2}00 0100 {kindHex}{kindPad}" +   // IFLA_LINKINFO { IFLA_INFO_KIND }
            $"0800 0500 {parent:x2}000000" +                                         // IFLA_LINK
            "0a00 0100 " + Convert.ToHexString(mac) + "0000";                        // IFLA_ADDRESS
        byte[] message = Hex("00000000 1000 0200 07000000 00000000" + body);
        BitConverter.TryWriteBytes(message, message.Length);
        return message;
    }

    [Test]
    public void A_macvlan_of_the_parent_with_the_mac_is_ours_anything_else_is_not()
    {
        Assert.That(LinkReply.TryRead(Described("macvlan", 2, Mac51), out LinkFacts facts), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(facts.Index, Is.EqualTo(12));
            Assert.That(facts.Kind, Is.EqualTo("macvlan"));
            Assert.That(facts.IsMacvlan(2, Mac51), Is.True);
            Assert.That(facts.IsMacvlan(3, Mac51), Is.False, "another parent");
            Assert.That(facts.IsMacvlan(2, [0x00, 0x00, 0x5e, 0x00, 0x02, 0x33]), Is.False, "another MAC");
            Assert.That(LinkReply.TryRead(Described("veth", 2, Mac51), out LinkFacts veth) && !veth.IsMacvlan(2, Mac51), Is.True, "another kind");
        });
    }

    [Test]
    public void A_truncated_or_foreign_message_is_not_read()
    {
        byte[] whole = Described("macvlan", 2, Mac51);
        Assert.Multiple(() =>
        {
            Assert.That(LinkReply.TryRead(whole.AsSpan(0, 20), out _), Is.False);
            byte[] error = [.. whole];
            error[4] = 2;   // NLMSG_ERROR
            Assert.That(LinkReply.TryRead(error, out _), Is.False);
            // Cut inside the attributes: what is whole is read, the rest is not trusted.
            Assert.That(LinkReply.TryRead(whole.AsSpan(0, whole.Length - 6), out LinkFacts cut) && cut.Mac is null, Is.True);
        });
    }
}
