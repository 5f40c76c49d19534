using System.Buffers.Binary;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Wire;

/// <summary>The fields of one advert a node sends; everything else is fixed by ucarp.</summary>
public readonly record struct AdvertFields(
    IPv4 Source, IPv4 Group, bool Broadcast, byte Vhid, byte AdvBase, byte AdvSkew, ushort IpId, ulong Counter);

/// <summary>Builds the Ethernet + IPv4 + CARP frame of carp.c:carp_send_ad, byte for byte.</summary>
public static class AdvertFrame
{
    public static void Build(in AdvertFields f, CarpHmac hmac, Span<byte> frame)
    {
        frame = frame[..CarpHeader.AdvertFrameSize];
        frame.Clear();

        // Ethernet: to the group's multicast MAC (or broadcast with -M), from the
        // virtual router MAC 00:00:5e:00:00:<vhid>.
        Span<byte> eth = frame[..CarpHeader.EthernetSize];
        if (f.Broadcast)
        {
            eth[..6].Fill(0xff);
        }
        else
        {
            MulticastMac(f.Group, eth[..6]);
        }
        eth[6] = 0x00; eth[7] = 0x00; eth[8] = 0x5e; eth[9] = 0x00; eth[10] = 0x00; eth[11] = f.Vhid;
        BinaryPrimitives.WriteUInt16BigEndian(eth[12..], CarpHeader.EtherTypeIpv4);

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

        Span<byte> carp = frame.Slice(CarpHeader.EthernetSize + CarpHeader.Ipv4Size, CarpHeader.Size);
        carp[CarpHeader.VersionType] = (CarpHeader.Version << 4) | CarpHeader.TypeAdvertisement;
        carp[CarpHeader.Vhid] = f.Vhid;
        carp[CarpHeader.AdvSkew] = f.AdvSkew;
        carp[CarpHeader.AuthLen] = CarpHeader.AuthLength;
        carp[CarpHeader.AdvBase] = f.AdvBase;
        BinaryPrimitives.WriteUInt64BigEndian(carp[CarpHeader.Counter..], f.Counter);
        hmac.Compute(carp.Slice(CarpHeader.Counter, 8), carp.Slice(CarpHeader.Digest, CarpHmac.Length));
        BinaryPrimitives.WriteUInt16BigEndian(carp[CarpHeader.Checksum..], InternetChecksum.Compute(carp));

        // ucarp sums the IP header and the CARP header together for the IP checksum;
        // since the CARP part already sums to zero this equals the header checksum.
        Span<byte> ipAndCarp = frame.Slice(CarpHeader.EthernetSize, CarpHeader.Ipv4Size + CarpHeader.Size);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ipAndCarp));
    }

    /// <summary>01:00:5e + the low 23 bits of the group (RFC 1112).</summary>
    public static void MulticastMac(IPv4 group, Span<byte> mac)
    {
        mac[0] = 0x01; mac[1] = 0x00; mac[2] = 0x5e;
        mac[3] = (byte)(group.B & 0x7f);
        mac[4] = group.C;
        mac[5] = group.D;
    }
}
