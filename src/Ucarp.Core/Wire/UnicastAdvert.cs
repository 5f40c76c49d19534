using System.Buffers.Binary;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Wire;

/// <summary>
/// An advert for one unicast peer: the IP packet of the Ethernet frame the machine built
/// (IP header and CARP header, HMAC and TTL 255 unchanged), addressed to the peer, with
/// the IP header checksum redone. The CARP part does not cover addresses, so one build
/// serves every peer. IPv6 has no header checksum, and the CARP checksum has no
/// pseudo-header, so there only the destination changes.
/// </summary>
public static class UnicastAdvert
{
    public const int Size = CarpHeader.Ipv4Size + CarpHeader.Size;
    public const int Size6 = CarpHeader.Ipv6Size + CarpHeader.Size;

    /// <summary>
    /// Writes the packet for <paramref name="peer"/> into <paramref name="packet"/> (at least
    /// <see cref="Size6"/> bytes); returns its length.
    /// </summary>
    public static int Readdress(ReadOnlySpan<byte> frame, IpAddress peer, Span<byte> packet)
    {
        if (peer.IsV6)
        {
            frame.Slice(CarpHeader.EthernetSize, Size6).CopyTo(packet);
            peer.CopyTo(packet[24..40]);
            return Size6;
        }
        frame.Slice(CarpHeader.EthernetSize, Size).CopyTo(packet);
        peer.CopyTo(packet[16..20]);
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], 0);
        ushort sum = InternetChecksum.Compute(packet[..CarpHeader.Ipv4Size]);
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], sum);
        return Size;
    }
}
