using System.Buffers.Binary;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Wire;

/// <summary>
/// An advert for one unicast peer: the IP packet of the Ethernet frame the machine built
/// (IP header and CARP header, HMAC and TTL 255 unchanged), addressed to the peer, with
/// the IP header checksum redone. The CARP part does not cover addresses, so one build
/// serves every peer.
/// </summary>
public static class UnicastAdvert
{
    public const int Size = CarpHeader.Ipv4Size + CarpHeader.Size;

    /// <summary>Writes the packet for <paramref name="peer"/> into <paramref name="packet"/> (at least <see cref="Size"/> bytes).</summary>
    public static void Readdress(ReadOnlySpan<byte> frame, IPv4 peer, Span<byte> packet)
    {
        frame.Slice(CarpHeader.EthernetSize, Size).CopyTo(packet);
        peer.CopyTo(packet[16..20]);
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], 0);
        ushort sum = InternetChecksum.Compute(packet[..CarpHeader.Ipv4Size]);
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], sum);
    }
}
