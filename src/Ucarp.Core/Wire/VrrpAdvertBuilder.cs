using System.Buffers.Binary;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Wire;

/// <summary>
/// Builds a group's VRRP advertisement frames as keepalived 2.2 sends them
/// (vrrp.c:vrrp_build_ip4, vrrp_build_vrrp_v2/v3, vrrp_update_pkt). Made once per group:
/// everything but the priority, the interval and the IPv4 id is laid out in a template
/// at construction, so <see cref="Build"/> copies it, sets those three and redoes the
/// checksums, allocating nothing.
/// </summary>
public sealed class VrrpAdvertBuilder
{
    readonly byte[] _template;
    readonly byte _version;
    readonly bool _v6;
    readonly bool _pseudo;

    /// <param name="version">2 (RFC 3768) or 3 (RFC 5798).</param>
    /// <param name="source">Our address: IPv4, or the interface's link-local IPv6 address.</param>
    /// <param name="destination">The group, 224.0.0.18 or ff02::12 unless configured otherwise; the Ethernet destination is its multicast MAC.</param>
    /// <param name="addresses">The virtual addresses, in the order they are advertised: 1 to 255, of the source's family.</param>
    /// <param name="password">Version 2 only: the simple password (at most 8 bytes, sent zero-padded); empty for none.</param>
    /// <param name="rfcChecksum">Version 3 over IPv4: the checksum over the VRRP message alone (RFC 5798's words) instead of keepalived's pseudo-header form.</param>
    /// <param name="sourceMac">The interface's MAC, which keepalived's adverts carry (the kernel sends them).</param>
    public VrrpAdvertBuilder(byte version, IpAddress source, IpAddress destination, byte vrid, IReadOnlyList<IpAddress> addresses,
                             byte[] password, bool rfcChecksum, ReadOnlySpan<byte> sourceMac)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(version, VrrpHeader.Version2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(version, VrrpHeader.Version3);
        ArgumentOutOfRangeException.ThrowIfZero(addresses.Count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(addresses.Count, byte.MaxValue);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(password.Length, VrrpHeader.AuthDataSize);
        ArgumentOutOfRangeException.ThrowIfNotEqual(sourceMac.Length, 6);
        if (source.IsV6 != destination.IsV6)
        {
            throw new ArgumentException("the source and the destination are of different families", nameof(destination));
        }
        _version = version;
        _v6 = source.IsV6;
        // IPv6 always sums the pseudo-header (keepalived leaves it to the kernel, IPV6_CHECKSUM);
        // version 2 over IPv4 never does.
        _pseudo = _v6 || (version == VrrpHeader.Version3 && !rfcChecksum);

        int ipSize = CarpHeader.IpSize(_v6);
        int length = VrrpHeader.Length(version, _v6, addresses.Count);
        int frameSize = CarpHeader.EthernetSize + ipSize + length;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(frameSize, VrrpHeader.MaxFrameSize, nameof(addresses));
        _template = new byte[frameSize];
        Span<byte> frame = _template;

        AdvertFrame.MulticastMac(destination, frame[..6]);
        sourceMac.CopyTo(frame[6..12]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], _v6 ? CarpHeader.EtherTypeIpv6 : CarpHeader.EtherTypeIpv4);

        Span<byte> ip = frame.Slice(CarpHeader.EthernetSize, ipSize);
        if (_v6)
        {
            // The kernel's header for keepalived's raw socket: traffic class 0xc0, hop limit
            // 255. Its flow label is the kernel's own hash of the flow; ours stays 0.
            ip[0] = 0x60 | VrrpHeader.TosInternetControl >> 4;
            ip[1] = (VrrpHeader.TosInternetControl & 0x0f) << 4;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)length); // payload length
            ip[6] = VrrpHeader.Protocol;                                      // next header
            ip[7] = VrrpHeader.Ttl;                                           // hop limit
            source.CopyTo(ip[8..24]);
            destination.CopyTo(ip[24..40]);
        }
        else
        {
            ip[0] = 0x45;                                                     // version 4, 5 words
            ip[1] = VrrpHeader.TosInternetControl;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(ipSize + length)); // total length
            // id: per Build; fragment offset and flags 0: keepalived sets no DF.
            ip[8] = VrrpHeader.Ttl;
            ip[9] = VrrpHeader.Protocol;
            source.CopyTo(ip[12..]);
            destination.CopyTo(ip[16..]);
        }

        Span<byte> vrrp = frame[(CarpHeader.EthernetSize + ipSize)..];
        vrrp[VrrpHeader.VersionType] = (byte)(version << 4 | VrrpHeader.TypeAdvertisement);
        vrrp[VrrpHeader.Vrid] = vrid;
        vrrp[VrrpHeader.Count] = (byte)addresses.Count;
        if (version == VrrpHeader.Version2)
        {
            vrrp[VrrpHeader.AuthType] = password.Length == 0 ? VrrpHeader.AuthNone : VrrpHeader.AuthPassword;
        }
        int at = VrrpHeader.Addresses;
        foreach (IpAddress address in addresses)
        {
            if (address.IsV6 != _v6)
            {
                throw new ArgumentException("a virtual address is not of the source's family", nameof(addresses));
            }
            address.CopyTo(vrrp[at..]);
            at += address.Length;
        }
        if (version == VrrpHeader.Version2 && !_v6)
        {
            password.CopyTo(vrrp[at..]);                                      // zero-padded to 8 bytes
        }
    }

    /// <summary>The length of every frame this builder writes.</summary>
    public int FrameSize => _template.Length;

    /// <summary>
    /// Writes the advert into <paramref name="frame"/> (at least <see cref="FrameSize"/>
    /// bytes); returns its length.
    /// </summary>
    /// <param name="intervalCentis">Version 3: the 12-bit Max Adver Int. Version 2 sends whole seconds, <c>intervalCentis / 100</c>.</param>
    /// <param name="ipId">IPv4's identification: keepalived counts its adverts, from 1, skipping 0 (which the kernel would replace). Unused for IPv6.</param>
    public int Build(byte priority, ushort intervalCentis, ushort ipId, Span<byte> frame)
    {
        _template.CopyTo(frame);
        frame = frame[.._template.Length];
        int ipSize = CarpHeader.IpSize(_v6);
        Span<byte> ip = frame.Slice(CarpHeader.EthernetSize, ipSize);
        Span<byte> vrrp = frame[(CarpHeader.EthernetSize + ipSize)..];

        vrrp[VrrpHeader.Priority] = priority;
        if (_version == VrrpHeader.Version2)
        {
            vrrp[VrrpHeader.AdverInt] = (byte)Math.Min(intervalCentis / 100, byte.MaxValue);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(vrrp[VrrpHeader.MaxAdverInt..], (ushort)(intervalCentis & VrrpHeader.MaxIntervalCentis));
        }

        if (_v6)
        {
            VrrpChecksum.Write(vrrp, pseudo: true, ip[8..24], ip[24..40]);
        }
        else
        {
            VrrpChecksum.Write(vrrp, _pseudo, ip[12..16], ip[16..20]);
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], ipId);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip));
        }
        return _template.Length;
    }
}
