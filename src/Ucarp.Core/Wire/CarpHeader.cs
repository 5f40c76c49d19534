namespace Ucarp.Core.Wire;

/// <summary>Offsets and constants of the frames ucarp sends (ip_carp.h, carp.c, garp.c).</summary>
public static class CarpHeader
{
    public const byte Version = 2;
    public const byte TypeAdvertisement = 1;
    public const byte AuthLength = 7;          // counter + digest, in 32-bit words
    public const byte Ttl = 255;               // CARP_DFLTTL: anything else was routed
    public const byte Protocol = 112;          // IPPROTO_CARP
    public const byte TosLowDelay = 0x10;      // IPTOS_LOWDELAY
    public const int Size = 36;
    public const byte BulkUpdateMinDelay = 240; // advskew advertised while preemption is suppressed
    public const byte BowOutAdvBase = 255;     // a master leaving on purpose (OpenBSD carp: carp_bow_out)
    public const byte BowOutAdvSkew = 255;

    public const int EthernetSize = 14;
    public const int Ipv4Size = 20;
    public const int AdvertFrameSize = EthernetSize + Ipv4Size + Size; // 70
    public const ushort EtherTypeIpv4 = 0x0800;
    public const ushort EtherTypeArp = 0x0806;

    // IPv6 (FreeBSD's ip_carp.c): a 40-byte header straight before the CARP header.
    public const int Ipv6Size = 40;
    public const int Advert6FrameSize = EthernetSize + Ipv6Size + Size; // 90
    public const ushort EtherTypeIpv6 = 0x86dd;

    /// <summary>The advert frame's length for an address family.</summary>
    public static int FrameSize(bool ipv6) => ipv6 ? Advert6FrameSize : AdvertFrameSize;

    /// <summary>The IP header's length for an address family: where the CARP header starts after Ethernet.</summary>
    public static int IpSize(bool ipv6) => ipv6 ? Ipv6Size : Ipv4Size;

    // CARP header fields, relative to the start of the CARP header.
    public const int VersionType = 0;
    public const int Vhid = 1;
    public const int AdvSkew = 2;
    public const int AuthLen = 3;
    public const int Pad = 4;
    public const int AdvBase = 5;
    public const int Checksum = 6;
    public const int Counter = 8;
    public const int Digest = 16;
}
