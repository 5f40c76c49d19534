namespace Ucarp.Core.Wire;

/// <summary>
/// Offsets and constants of a VRRP advertisement (RFC 3768 §5.3 for version 2, RFC 5798
/// §5.2 for version 3) and of the IP header keepalived puts around it (vrrp.c:vrrp_build_ip4,
/// vrrp_if.c:if_setsockopt_priority).
/// </summary>
public static class VrrpHeader
{
    public const byte Version2 = 2;
    public const byte Version3 = 3;
    public const byte TypeAdvertisement = 1;
    public const byte Protocol = 112;          // IPPROTO_VRRP, the same number as CARP's
    public const byte Ttl = 255;               // VRRP_IP_TTL; also the IPv6 hop limit
    public const byte TosInternetControl = 0xc0; // IPTOS_PREC_INTERNETCONTROL; the IPv6 traffic class too
    public const byte PriorityStop = 0;        // a master leaving: the backups take over at once
    public const byte PriorityOwner = 255;

    /// <summary>The fixed part before the addresses.</summary>
    public const int Size = 8;

    /// <summary>VRRPv2 over IPv4 ends with 8 bytes of authentication data, sent even with no authentication.</summary>
    public const int AuthDataSize = 8;
    public const byte AuthNone = 0;
    public const byte AuthPassword = 1;        // "simple text password", RFC 2338 §5.3.6.1
    public const byte AuthIpsecAh = 2;         // keepalived's other kind, refused here

    /// <summary>The 12-bit Max Adver Int of version 3, in centiseconds.</summary>
    public const ushort MaxIntervalCentis = 0x0fff;

    /// <summary>The largest IP packet an advert may fill (an Ethernet MTU).</summary>
    public const int MaxPacketSize = 1500;
    public const int MaxFrameSize = CarpHeader.EthernetSize + MaxPacketSize;

    // Fields, relative to the start of the VRRP header.
    public const int VersionType = 0;
    public const int Vrid = 1;
    public const int Priority = 2;
    public const int Count = 3;
    public const int AuthType = 4;             // v2
    public const int AdverInt = 5;             // v2: whole seconds
    public const int MaxAdverInt = 4;          // v3: 4 reserved bits, 12 bits of centiseconds
    public const int Checksum = 6;
    public const int Addresses = 8;

    /// <summary>
    /// The VRRP message's length: the fixed part, the addresses and, for version 2 over
    /// IPv4, the authentication data (keepalived's vrrp_pkt_len and expected_vrrp_pkt_len;
    /// keepalived has none over IPv6).
    /// </summary>
    public static int Length(byte version, bool ipv6, int count) =>
        Size + count * (ipv6 ? 16 : 4) + (version == Version2 && !ipv6 ? AuthDataSize : 0);
}
