using System.Buffers.Binary;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Wire;

/// <summary>The fields of one advert a node sends; everything else is fixed by ucarp (or, for IPv6, FreeBSD's carp).</summary>
public readonly record struct AdvertFields(
    IpAddress Source, IpAddress Group, bool Broadcast, byte Vhid, byte AdvBase, byte AdvSkew, ushort IpId, ulong Counter)
{
    /// <summary>--vmac: the Ethernet source (the virtual router MAC, as BSD's carp sends); null: ucarp's 00:00:5e:00:00:vhid.</summary>
    public byte[]? SourceMac { get; init; }
}

/// <summary>
/// Builds the Ethernet + IPv4 + CARP frame of carp.c:carp_send_ad, byte for byte, or
/// its IPv6 counterpart, which ucarp never had.
/// </summary>
public static class AdvertFrame
{
    /// <summary>Writes the frame for the group's family; returns its length.</summary>
    public static int Build(in AdvertFields f, CarpHmac hmac, Span<byte> frame)
    {
        if (f.Group.IsV6)
        {
            Build6(f, hmac, frame);
            return CarpHeader.Advert6FrameSize;
        }
        Build4(f, hmac, frame);
        return CarpHeader.AdvertFrameSize;
    }

    static void Build4(in AdvertFields f, CarpHmac hmac, Span<byte> frame)
    {
        frame = frame[..CarpHeader.AdvertFrameSize];
        frame.Clear();

        WriteEthernet(f, frame, CarpHeader.EtherTypeIpv4);

        Span<byte> ip = frame.Slice(CarpHeader.EthernetSize, CarpHeader.Ipv4Size);
        ip[0] = 0x45;                                                     // version 4, 5 words
        ip[1] = CarpHeader.TosLowDelay;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], CarpHeader.Ipv4Size + CarpHeader.Size); // total length
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], f.IpId);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000);         // DF
        ip[8] = CarpHeader.Ttl;
        ip[9] = CarpHeader.Protocol;
        f.Source.CopyTo(ip[12..]);
        f.Group.CopyTo(ip[16..]);                                         // the group even with -M

        WriteCarp(f, hmac, frame.Slice(CarpHeader.EthernetSize + CarpHeader.Ipv4Size, CarpHeader.Size));

        // ucarp sums the IP header and the CARP header together for the IP checksum;
        // since the CARP part already sums to zero this equals the header checksum.
        Span<byte> ipAndCarp = frame.Slice(CarpHeader.EthernetSize, CarpHeader.Ipv4Size + CarpHeader.Size);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ipAndCarp));
    }

    /// <summary>
    /// The IPv6 advert as FreeBSD's carp sends it (sys/netinet/ip_carp.c,
    /// carp_send_ad_locked): version 6, traffic class and flow label 0, payload length 36,
    /// next header 112, hop limit 255, from our own address on the interface (-s here;
    /// FreeBSD takes the interface's first IPv6 address) to the group (ff02::12 unless
    /// -m); the CARP checksum covers the CARP header alone, with no pseudo-header, as
    /// carp6_input checks it. The Ethernet source is the same 00:00:5e:00:00:vhid as our
    /// IPv4 adverts (no receiver looks at it).
    /// </summary>
    static void Build6(in AdvertFields f, CarpHmac hmac, Span<byte> frame)
    {
        frame = frame[..CarpHeader.Advert6FrameSize];
        frame.Clear();

        WriteEthernet(f, frame, CarpHeader.EtherTypeIpv6);

        Span<byte> ip = frame.Slice(CarpHeader.EthernetSize, CarpHeader.Ipv6Size);
        ip[0] = 0x60;                                                     // version 6
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], CarpHeader.Size); // payload length
        ip[6] = CarpHeader.Protocol;                                      // next header
        ip[7] = CarpHeader.Ttl;                                           // hop limit
        f.Source.CopyTo(ip[8..24]);
        f.Group.CopyTo(ip[24..40]);

        WriteCarp(f, hmac, frame.Slice(CarpHeader.EthernetSize + CarpHeader.Ipv6Size, CarpHeader.Size));
    }

    /// <summary>
    /// Ethernet: to the group's multicast MAC (or broadcast with -M), from ucarp's
    /// 00:00:5e:00:00:&lt;vhid&gt;, or with --vmac from the child's virtual router MAC.
    /// </summary>
    static void WriteEthernet(in AdvertFields f, Span<byte> frame, ushort etherType)
    {
        Span<byte> eth = frame[..CarpHeader.EthernetSize];
        if (f.Broadcast)
        {
            eth[..6].Fill(0xff);
        }
        else
        {
            MulticastMac(f.Group, eth[..6]);
        }
        if (f.SourceMac is byte[] mac)
        {
            mac.AsSpan(0, 6).CopyTo(eth[6..12]);
        }
        else
        {
            eth[6] = 0x00; eth[7] = 0x00; eth[8] = 0x5e; eth[9] = 0x00; eth[10] = 0x00; eth[11] = f.Vhid;
        }
        BinaryPrimitives.WriteUInt16BigEndian(eth[12..], etherType);
    }

    /// <summary>The CARP header, the same for both families: its checksum covers itself alone.</summary>
    static void WriteCarp(in AdvertFields f, CarpHmac hmac, Span<byte> carp)
    {
        carp[CarpHeader.VersionType] = (CarpHeader.Version << 4) | CarpHeader.TypeAdvertisement;
        carp[CarpHeader.Vhid] = f.Vhid;
        carp[CarpHeader.AdvSkew] = f.AdvSkew;
        carp[CarpHeader.AuthLen] = CarpHeader.AuthLength;
        carp[CarpHeader.AdvBase] = f.AdvBase;
        BinaryPrimitives.WriteUInt64BigEndian(carp[CarpHeader.Counter..], f.Counter);
        hmac.Compute(carp.Slice(CarpHeader.Counter, 8), carp.Slice(CarpHeader.Digest, CarpHmac.Length));
        BinaryPrimitives.WriteUInt16BigEndian(carp[CarpHeader.Checksum..], InternetChecksum.Compute(carp));
    }

    /// <summary>
    /// IPv4: 01:00:5e + the low 23 bits of the group (RFC 1112). IPv6: 33:33 + the
    /// group's last 32 bits (RFC 2464), 33:33:00:00:00:12 for ff02::12.
    /// </summary>
    public static void MulticastMac(IpAddress group, Span<byte> mac)
    {
        if (group.IsV6)
        {
            mac[0] = 0x33; mac[1] = 0x33;
            mac[2] = group[12]; mac[3] = group[13]; mac[4] = group[14]; mac[5] = group[15];
            return;
        }
        mac[0] = 0x01; mac[1] = 0x00; mac[2] = 0x5e;
        mac[3] = (byte)(group[1] & 0x7f);
        mac[4] = group[2];
        mac[5] = group[3];
    }
}
