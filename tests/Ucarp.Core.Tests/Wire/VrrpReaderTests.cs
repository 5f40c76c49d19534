using System.Buffers.Binary;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Wire;

/// <summary>Each of the VRRP reader's checks on its own, on keepalived's adverts edited one field at a time.</summary>
public class VrrpReaderTests
{
    static readonly KeepalivedCase V3 = KeepalivedVectors.Case("v3");
    static readonly KeepalivedCase V2Pass = KeepalivedVectors.Case("v2-pass");
    static readonly KeepalivedCase V2 = KeepalivedVectors.Case("v2");
    static readonly KeepalivedCase V6 = KeepalivedVectors.Case("v3-ipv6");
    static readonly IpAddress Us = KeepalivedVectors.Receiver;

    static byte[] Valid(KeepalivedCase c) => c.Frames().First();

    static VrrpReader Reader(KeepalivedCase c, byte? version = null, byte? vrid = null, string? password = null, ushort? interval = null,
                             IpAddress? us = null, IpAddress? group = null, IpAddress[]? peers = null) =>
        new(version ?? c.Version, us ?? (c.V6 ? KeepalivedVectors.ReceiverLinkLocal : Us), group ?? c.Group, vrid ?? c.Vrid,
            System.Text.Encoding.ASCII.GetBytes(password ?? c.Password), interval ?? c.IntervalCentis, peers ?? []);

    static Rejection Read(KeepalivedCase c, byte[] frame) => Reader(c).Read(frame).Rejection;

    /// <summary>Sums the IPv4 header and the VRRP message again (in the sender's form) after a test edits the frame.</summary>
    static byte[] Resum(KeepalivedCase c, byte[] f, bool pseudo = true)
    {
        int ip = c.V6 ? 40 : 20;
        Span<byte> vrrp = f.AsSpan(14 + ip);
        Span<byte> header = f.AsSpan(14, ip);
        if (c.V6)
        {
            VrrpChecksum.Write(vrrp, true, header[8..24], header[24..40]);
            return f;
        }
        VrrpChecksum.Write(vrrp, pseudo && c.Version == 3, header[12..16], header[16..20]);
        header[10] = header[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], InternetChecksum.Compute(header));
        return f;
    }

    [Test]
    public void Keepalived_adverts_are_valid()
    {
        Assert.That(Read(V3, Valid(V3)), Is.EqualTo(Rejection.None));
        Assert.That(Read(V2Pass, Valid(V2Pass)), Is.EqualTo(Rejection.None));
        Assert.That(Read(V6, Valid(V6)), Is.EqualTo(Rejection.None));
    }

    [Test]
    public void Ethernet_padding_is_not_part_of_the_advert()
    {
        // On a real wire a one-address VRRPv3 frame (46 bytes) is padded to 60.
        byte[] padded = [.. Valid(V3), .. new byte[14]];
        VrrpReadResult r = Reader(V3).Read(padded);
        Assert.That(r.Rejection, Is.EqualTo(Rejection.None));
        Assert.That(r.Advert.Count, Is.EqualTo(1));
    }

    [Test]
    public void Too_short_for_ethernet_and_ip()
    {
        Assert.That(Read(V3, Valid(V3)[..34]), Is.EqualTo(Rejection.TooShort));
        Assert.That(Read(V6, Valid(V6)[..54]), Is.EqualTo(Rejection.TooShort));
    }

    [Test]
    public void Another_family()
    {
        Assert.That(Read(V6, Valid(V2)), Is.EqualTo(Rejection.WrongFamily), "an IPv4 frame to an IPv6 group");
        Assert.That(Read(V3, Valid(V6)), Is.EqualTo(Rejection.WrongFamily));
        byte[] f = Valid(V3);
        f[14] = 0x65;   // IP version 6 under an IPv4 EtherType
        Assert.That(Read(V3, f), Is.EqualTo(Rejection.WrongFamily));
    }

    [Test]
    public void Our_own_advert_coming_back()
    {
        Assert.That(Reader(V3, us: V3.Source).Read(Valid(V3)).Rejection, Is.EqualTo(Rejection.OwnAddress));
        Assert.That(Reader(V6, us: V6.Source).Read(Valid(V6)).Rejection, Is.EqualTo(Rejection.OwnAddress));
    }

    [Test]
    public void Another_protocol()
    {
        byte[] f = Valid(V3);
        f[23] = 17;
        Assert.That(Read(V3, f), Is.EqualTo(Rejection.NotCarp));
        byte[] g = Valid(V6);
        g[20] = 0;  // a hop-by-hop header first: not looked behind, as keepalived's socket never sees one
        Assert.That(Read(V6, g), Is.EqualTo(Rejection.NotCarp));
    }

    [Test]
    public void A_count_that_does_not_match_the_length_is_a_bogus_size()
    {
        byte[] f = Valid(V3);
        f[14 + 20 + VrrpHeader.Count] = 2;
        VrrpReadResult r = Reader(V3).Read(f);
        Assert.That(r.Rejection, Is.EqualTo(Rejection.BogusSize));
        Assert.That((r.A, r.B), Is.EqualTo((12, 16)), "12 bytes where two addresses need 16");
        Assert.That(RejectionLog.Message(r), Is.EqualTo("Bogus VRRP size: [12] bytes, [16] expected"));
        byte[] g = Valid(V6);
        g[14 + 40 + VrrpHeader.Count] = 0;
        Assert.That(Read(V6, g), Is.EqualTo(Rejection.BogusSize));
    }

    [Test]
    public void A_truncated_packet_or_a_short_ip_length_is_a_bogus_size()
    {
        Assert.That(Read(V3, Valid(V3)[..^1]), Is.EqualTo(Rejection.BogusSize), "the IP length says more than the frame has");
        byte[] f = Valid(V2Pass);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(16), 20 + 8 + 4);  // the password cut off by the IP length
        Assert.That(Read(V2Pass, f), Is.EqualTo(Rejection.BogusSize));
        byte[] g = Valid(V3);
        g[14] = 0x44;   // a 16-byte IPv4 header
        Assert.That(Read(V3, g), Is.EqualTo(Rejection.BogusSize));
        byte[] h = Valid(V6);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(18), 7);  // payload length shorter than the VRRP header
        Assert.That(Read(V6, h), Is.EqualTo(Rejection.BogusSize));
    }

    [Test]
    public void A_ttl_below_255_crossed_a_router()
    {
        byte[] f = Resum(V3, Set(Valid(V3), 22, 254));
        VrrpReadResult r = Reader(V3).Read(f);
        Assert.That((r.Rejection, r.A), Is.EqualTo((Rejection.BadTtl, 254)));
        byte[] g = Set(Valid(V6), 21, 1);
        Assert.That(Read(V6, g), Is.EqualTo(Rejection.BadTtl), "IPv6: the hop limit");
    }

    [Test]
    public void Unicast_adverts_may_have_crossed_routers()
    {
        KeepalivedCase c = KeepalivedVectors.Case("v3-unicast");
        byte[] f = Resum(c, Set(c.Frames()[0], 22, 60));
        Assert.That(c.Reader(Us).Read(f).Rejection, Is.EqualTo(Rejection.None));
    }

    [Test]
    public void Another_version()
    {
        VrrpReadResult r = Reader(V3, version: 2).Read(Valid(V3));
        Assert.That((r.Rejection, r.A), Is.EqualTo((Rejection.BadVersion, 3)));
        Assert.That(Reader(V2, version: 3).Read(Valid(V2)).Rejection, Is.EqualTo(Rejection.BadVersion));
    }

    [Test]
    public void Not_an_advertisement()
    {
        byte[] f = Resum(V3, Set(Valid(V3), 34, 0x32));
        VrrpReadResult r = Reader(V3).Read(f);
        Assert.That((r.Rejection, r.A), Is.EqualTo((Rejection.BadType, 2)));
        Assert.That(RejectionLog.Level(r.Rejection), Is.EqualTo(LogLevel.Warning));
        Assert.That(RejectionLog.Message(r), Is.EqualTo("Bad VRRP type: [2]"));
    }

    [Test]
    public void A_bad_vrrp_checksum()
    {
        byte[] f = Valid(V3);
        f[^1] ^= 1;   // the virtual address
        Assert.That(Read(V3, f), Is.EqualTo(Rejection.BadChecksum));
        byte[] g = Valid(V6);
        g[^1] ^= 1;
        Assert.That(Read(V6, g), Is.EqualTo(Rejection.BadChecksum));
        byte[] h = Valid(V2Pass);
        h[^1] ^= 1;   // the password: v2's checksum covers it
        Assert.That(Read(V2Pass, h), Is.EqualTo(Rejection.BadChecksum));
    }

    [Test]
    public void A_bad_ipv4_header_checksum()
    {
        byte[] f = Valid(V3);
        f[24] ^= 1;
        Assert.That(Read(V3, f), Is.EqualTo(Rejection.BadChecksum));
    }

    [Test]
    public void Both_vrrp3_ipv4_checksum_forms_are_accepted()
    {
        byte[] rfc = Resum(V3, Valid(V3), pseudo: false);
        Assert.That(rfc.AsSpan(40, 2).ToArray(), Is.Not.EqualTo(Valid(V3).AsSpan(40, 2).ToArray()));
        Assert.That(Read(V3, rfc), Is.EqualTo(Rejection.None));
        Assert.That(Read(V3, Resum(V3, Valid(V3), pseudo: true)), Is.EqualTo(Rejection.None));
    }

    [Test]
    public void Vrrp2_and_ipv6_have_one_checksum_form()
    {
        // v2 sums the message alone: the pseudo-header form is wrong there.
        byte[] v2 = Valid(V2);
        Span<byte> vrrp = v2.AsSpan(34);
        VrrpChecksum.Write(vrrp, pseudo: true, v2.AsSpan(26, 4), v2.AsSpan(30, 4));
        Assert.That(Read(V2, v2), Is.EqualTo(Rejection.BadChecksum));
        // IPv6 always has the pseudo-header (the kernel checks it for keepalived).
        byte[] v6 = Valid(V6);
        VrrpChecksum.Write(v6.AsSpan(54), pseudo: false, default, default);
        Assert.That(Read(V6, v6), Is.EqualTo(Rejection.BadChecksum));
    }

    [Test]
    public void Another_virtual_router()
    {
        VrrpReadResult r = Reader(V3, vrid: 50).Read(Valid(V3));
        Assert.That((r.Rejection, r.A), Is.EqualTo((Rejection.OtherVhid, 51)));
        Assert.That(RejectionLog.Level(r.Rejection), Is.EqualTo(LogLevel.Debug));
        Assert.That(RejectionLog.Message(r), Is.EqualTo("Ignoring vrid: [51]"));
    }

    [Test]
    public void Another_group()
    {
        VrrpReadResult r = Reader(V3, group: new IpAddress(224, 0, 0, 19)).Read(Valid(V3));
        Assert.That((r.Rejection, r.Address), Is.EqualTo((Rejection.OtherGroup, V3.Group)));
        Assert.That(RejectionLog.Message(r), Is.EqualTo("Ignoring different multicast ip: [224.0.0.18]"));
    }

    [Test]
    public void With_peers_only_a_peer_to_us_counts()
    {
        KeepalivedCase c = KeepalivedVectors.Case("v3-unicast");
        byte[] toUs = c.Frames()[0];
        Assert.That(Reader(c, peers: [new IpAddress(192, 0, 2, 9)]).Read(toUs).Rejection, Is.EqualTo(Rejection.NotFromPeer));
        Assert.That(Reader(c, us: new IpAddress(192, 0, 2, 3), peers: [c.Source]).Read(toUs).Rejection, Is.EqualTo(Rejection.NotToUs));
        VrrpReadResult multicast = Reader(V3, peers: [V3.Source]).Read(Valid(V3));
        Assert.That((multicast.Rejection, multicast.Address), Is.EqualTo((Rejection.NotToUs, V3.Group)), "a multicast advert");
    }

    [Test]
    public void The_wrong_password()
    {
        VrrpReadResult r = Reader(V2Pass, password: "secret2").Read(Valid(V2Pass));
        Assert.That((r.Rejection, r.A, r.B), Is.EqualTo((Rejection.BadAuth, 1, 1)));
        Assert.That(RejectionLog.Level(r.Rejection), Is.EqualTo(LogLevel.Warning));
        Assert.That(RejectionLog.Message(r), Is.EqualTo("Bad VRRP authentication: wrong password"));
        Assert.That(Reader(V2Pass, password: "secret").Read(Valid(V2Pass)).Rejection, Is.EqualTo(Rejection.BadAuth), "a prefix of it");
    }

    [Test]
    public void Another_auth_type()
    {
        VrrpReadResult none = Reader(V2Pass, password: "").Read(Valid(V2Pass));
        Assert.That((none.Rejection, none.A, none.B), Is.EqualTo((Rejection.BadAuth, 1, 0)));
        Assert.That(RejectionLog.Message(none), Is.EqualTo("Bad VRRP authentication type: [1], expected [0]"));
        Assert.That(Reader(V2, password: "secret1").Read(Valid(V2)).Rejection, Is.EqualTo(Rejection.BadAuth));
        byte[] ah = Resum(V2, Set(Valid(V2), 38, VrrpHeader.AuthIpsecAh));
        Assert.That(Read(V2, ah), Is.EqualTo(Rejection.BadAuth), "keepalived's IPsec AH type, not supported here");
    }

    [Test]
    public void A_vrrp2_advert_with_another_interval()
    {
        VrrpReadResult r = Reader(V2, interval: 200).Read(Valid(V2));
        Assert.That((r.Rejection, r.A, r.B), Is.EqualTo((Rejection.IntervalMismatch, 1, 2)));
        Assert.That(RejectionLog.Level(r.Rejection), Is.EqualTo(LogLevel.Warning));
        Assert.That(RejectionLog.Message(r), Is.EqualTo("Advertisement interval mismatch: [1] s, ours [2] s"));
    }

    [Test]
    public void A_vrrp3_advert_carries_the_masters_interval()
    {
        VrrpReadResult r = Reader(V3, interval: 200).Read(Valid(V3));
        Assert.That(r.Rejection, Is.EqualTo(Rejection.None));
        Assert.That(r.Advert.IntervalCentis, Is.EqualTo(100));
        byte[] f = Resum(V3, Set(Valid(V3), 38, 0xf0));   // the 4 reserved bits
        Assert.That(Reader(V3).Read(f).Advert.IntervalCentis, Is.EqualTo(100), "reserved bits are not part of it");
    }

    [Test]
    public void The_new_reasons_have_names_and_log_lines()
    {
        foreach (Rejection why in new[] { Rejection.BadType, Rejection.BadAuth, Rejection.IntervalMismatch })
        {
            Assert.That(Ucarp.Core.Monitoring.StatusSnapshot.RejectionNames.Count(n => n.Reason == why), Is.EqualTo(1), why.ToString());
            Assert.That(RejectionLog.Label(why), Does.StartWith("\""), why.ToString());
            // The CARP form of the result logs them the same way.
            Assert.That(RejectionLog.Message(new ReadResult(why, default, 1, 2, 0, 0)),
                        Is.EqualTo(RejectionLog.Message(new VrrpReadResult(why, default, 1, 2))));
        }
        Assert.That(Ucarp.Core.Monitoring.StatusSnapshot.RejectionNames.Select(n => n.Name).TakeLast(3),
                    Is.EqualTo(new[] { "bad_type", "bad_auth", "interval_mismatch" }));
        Assert.That(((int)Rejection.NotToUs, (int)Rejection.BadType), Is.EqualTo((13, 14)), "appended: the older reasons keep their numbers");
    }

    static byte[] Set(byte[] f, int at, byte value)
    {
        f[at] = value;
        return f;
    }
}
