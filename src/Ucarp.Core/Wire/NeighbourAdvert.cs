using System.Buffers.Binary;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Wire;

/// <summary>
/// The IPv6 counterpart of the gratuitous ARP: an unsolicited Neighbour Advertisement
/// (RFC 4861, 4.4 and 7.2.6) for the virtual address, to all nodes (ff02::1), with the
/// override flag set and the interface's MAC as the target link-layer address, so that
/// every neighbour replaces the old master's MAC in its cache at once. FreeBSD's carp
/// sends the same (ip_carp.c, carp_send_na: nd6_na_output(..., ND_NA_FLAG_OVERRIDE,
/// tlladdr)); Linux's own unsolicited NAs use the advertised address as the source.
/// </summary>
public static class NeighbourAdvert
{
    public const int IcmpSize = 32;   // type, code, checksum, flags, target, one 8-byte option
    public const int FrameSize = CarpHeader.EthernetSize + CarpHeader.Ipv6Size + IcmpSize; // 86
    public const byte IcmpV6 = 58;
    public const byte TypeNeighbourAdvertisement = 136;
    public const byte FlagOverride = 0x20;
    public const byte OptionTargetLinkLayerAddress = 2;

    static ReadOnlySpan<byte> AllNodes => [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01];

    public static void Build(ReadOnlySpan<byte> mac, IpAddress virtualAddress, Span<byte> frame)
    {
        frame = frame[..FrameSize];
        frame.Clear();
        frame[0] = 0x33; frame[1] = 0x33; frame[5] = 0x01;      // 33:33:00:00:00:01, ff02::1's MAC
        mac.CopyTo(frame[6..12]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], CarpHeader.EtherTypeIpv6);

        Span<byte> ip = frame.Slice(CarpHeader.EthernetSize, CarpHeader.Ipv6Size);
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], IcmpSize);
        ip[6] = IcmpV6;
        ip[7] = 255;                          // RFC 4861 7.1.2: receivers drop any other hop limit
        virtualAddress.CopyTo(ip[8..24]);
        AllNodes.CopyTo(ip[24..40]);

        Span<byte> icmp = frame.Slice(CarpHeader.EthernetSize + CarpHeader.Ipv6Size, IcmpSize);
        icmp[0] = TypeNeighbourAdvertisement;
        icmp[4] = FlagOverride;               // not a router, not solicited, override
        virtualAddress.CopyTo(icmp[8..24]);   // target
        icmp[24] = OptionTargetLinkLayerAddress;
        icmp[25] = 1;                         // length in units of 8 bytes
        mac.CopyTo(icmp[26..32]);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum(ip[8..40], icmp));
    }

    /// <summary>The ICMPv6 checksum: over the pseudo-header (addresses, length, next header 58) and the message.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> addresses, ReadOnlySpan<byte> icmp)
    {
        Span<byte> sum = stackalloc byte[40 + icmp.Length];
        sum.Clear();
        addresses[..32].CopyTo(sum);
        BinaryPrimitives.WriteUInt32BigEndian(sum[32..], (uint)icmp.Length);
        sum[39] = IcmpV6;
        icmp.CopyTo(sum[40..]);
        return InternetChecksum.Compute(sum[..(40 + icmp.Length)]);
    }
}
