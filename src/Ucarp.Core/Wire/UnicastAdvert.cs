using System.Buffers.Binary;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Wire;

/// <summary>
/// An advert for one unicast peer: the IP packet of the Ethernet frame the machine built
/// (IP header and payload, HMAC and TTL 255 unchanged), addressed to the peer, with the
/// IPv4 header checksum redone. Neither CARP's checksum nor VRRPv2's covers addresses, so
/// one build serves every peer, and for IPv6 only the destination changes. VRRPv3's
/// pseudo-header form does cover the destination: it is summed again for each peer, as
/// keepalived does (vrrp.c:vrrp_update_pkt).
/// </summary>
public static class UnicastAdvert
{
    public const int Size = CarpHeader.Ipv4Size + CarpHeader.Size;
    public const int Size6 = CarpHeader.Ipv6Size + CarpHeader.Size;

    /// <summary>The largest packet <see cref="Readdress"/> writes: a VRRP advert may fill an Ethernet MTU.</summary>
    public const int MaxSize = VrrpHeader.MaxPacketSize;

    const byte Vrrp3Advert = VrrpHeader.Version3 << 4 | VrrpHeader.TypeAdvertisement; // 0x31

    /// <summary>
    /// Writes the packet for <paramref name="peer"/> into <paramref name="packet"/> (at least
    /// the frame's IP length, <see cref="MaxSize"/> for any advert); returns its length,
    /// taken from the frame's IP header. <paramref name="plainChecksum"/>: a VRRPv3 IPv4
    /// advert built without the pseudo-header (--vrrp-checksum=rfc), which stays as it is;
    /// the sender says so, since a checksum can be valid in both forms.
    /// </summary>
    public static int Readdress(ReadOnlySpan<byte> frame, IpAddress peer, Span<byte> packet, bool plainChecksum = false)
    {
        ReadOnlySpan<byte> ip = frame[CarpHeader.EthernetSize..];
        if (peer.IsV6)
        {
            int length6 = CarpHeader.Ipv6Size + BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
            ip[..length6].CopyTo(packet);
            peer.CopyTo(packet[24..40]);
            Span<byte> payload = packet[CarpHeader.Ipv6Size..length6];
            if (payload[0] == Vrrp3Advert)
            {
                // The pseudo-header, always there over IPv6, names the destination.
                VrrpChecksum.Write(payload, pseudo: true, packet[8..24], packet[24..40]);
            }
            return length6;
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        int header = (ip[0] & 0x0f) << 2;
        ip[..length].CopyTo(packet);
        Span<byte> vrrp = packet[header..length];
        // A VRRPv3 advert in the pseudo-header form is summed again for the peer. Otherwise
        // (RFC 5798's form, CARP, VRRPv2) the payload stays as built.
        bool pseudo = vrrp[0] == Vrrp3Advert && !plainChecksum;
        peer.CopyTo(packet[16..20]);
        if (pseudo)
        {
            VrrpChecksum.Write(vrrp, pseudo: true, packet[12..16], packet[16..20]);
        }
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], 0);
        ushort sum = InternetChecksum.Compute(packet[..header]);
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], sum);
        return length;
    }
}
