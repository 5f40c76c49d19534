using System.Buffers.Binary;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Wire;

/// <summary>Why a received frame is not a valid advert for us; one reason per check of carp.c:packethandler.</summary>
public enum Rejection : byte
{
    None,
    /// <summary>No room for Ethernet and IP headers (silent in ucarp).</summary>
    TooShort,
    /// <summary>Not of our family, IPv4 or IPv6 (ucarp's pcap filter drops these before it sees them).</summary>
    WrongFamily,
    /// <summary>Our own advert coming back (silent).</summary>
    OwnAddress,
    /// <summary>Not IP protocol (IPv6: next header) 112 (silent).</summary>
    NotCarp,
    /// <summary>Shorter than the IP header length plus a CARP header (debug).</summary>
    BogusSize,
    /// <summary>TTL (IPv6: hop limit) is not 255: the advert crossed a router (warning).</summary>
    BadTtl,
    /// <summary>CARP version is not 2 (warning).</summary>
    BadVersion,
    /// <summary>Another virtual host's advert (debug).</summary>
    OtherVhid,
    /// <summary>Sent to another IP destination than our group, unicast included (debug).</summary>
    OtherGroup,
    /// <summary>The IP and CARP headers (IPv6: the CARP header) do not sum to zero (warning).</summary>
    BadChecksum,
    /// <summary>Wrong password, vhid or virtual address (warning).</summary>
    BadDigest,
    /// <summary>With --peer: from an address that is not a listed peer (debug).</summary>
    NotFromPeer,
    /// <summary>With --peer: not addressed to our own (-s) address, a multicast advert included (debug).</summary>
    NotToUs,
    /// <summary>VRRP: not an advertisement (type other than 1) (warning).</summary>
    BadType,
    /// <summary>VRRPv2: another auth type than ours, or the wrong simple password (warning).</summary>
    BadAuth,
    /// <summary>VRRPv2: another advertisement interval than ours; keepalived drops these too (warning).</summary>
    IntervalMismatch,
}

/// <summary>A valid advert: what the state machine needs from it.</summary>
public readonly record struct ReceivedAdvert(IpAddress Source, byte AdvBase, byte AdvSkew, ulong Counter);

/// <summary>
/// The outcome of reading one frame: the advert, or the reason with the values
/// ucarp prints for it (<paramref name="Address"/>: the group, source or destination
/// named in the line). A plain struct, so the rejection path allocates nothing.
/// </summary>
public readonly record struct ReadResult(Rejection Rejection, ReceivedAdvert Advert, int A, int B, uint ComputedDigest, uint ReceivedDigest,
                                         IpAddress Address = default)
{
    public bool IsValid => Rejection == Rejection.None;
}

/// <summary>
/// Checks a received frame as carp.c:packethandler does, in its order, cheapest checks
/// first and the HMAC last. Never throws: any byte sequence gives a result. An IPv6
/// reader (our own address is IPv6) makes the same checks on the IPv6 header, as
/// FreeBSD's carp6_input does: hop limit 255, room for a CARP header straight after the
/// IPv6 header (no extension headers), the CARP checksum over the CARP header alone.
/// </summary>
public sealed class AdvertReader
{
    readonly IpAddress _source;
    readonly IpAddress _group;
    readonly byte _vhid;
    readonly CarpHmac _hmac;
    readonly IpAddress[] _peers;

    /// <param name="peers">
    /// Unicast mode when not empty: adverts count only from a listed peer and addressed to
    /// our own address, and their TTL is not checked, since a routed peer's adverts arrive
    /// with less than 255 (as FreeBSD's carp does for unicast). Every other check stays.
    /// </param>
    public AdvertReader(IpAddress ownSource, IpAddress group, byte vhid, CarpHmac hmac, IReadOnlyList<IpAddress>? peers = null)
    {
        _source = ownSource;
        _group = group;
        _vhid = vhid;
        _hmac = hmac;
        _peers = peers is null ? [] : Lists.ToArray(peers);
    }

    bool Unicast => _peers.Length != 0;

    public ReadResult Read(ReadOnlySpan<byte> frame)
    {
        const int eth = CarpHeader.EthernetSize;
        bool v6 = _source.IsV6;
        if (frame.Length <= eth + CarpHeader.IpSize(v6))
        {
            return Reject(Rejection.TooShort);
        }
        if (BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != (v6 ? CarpHeader.EtherTypeIpv6 : CarpHeader.EtherTypeIpv4))
        {
            return Reject(Rejection.WrongFamily);
        }
        ReadOnlySpan<byte> ip = frame[eth..];
        // Where the fields are: IPv4 (RFC 791) or IPv6 (RFC 8200, no extension headers).
        int length = _source.Length;
        ReadOnlySpan<byte> source = ip.Slice(v6 ? 8 : 12, length);
        ReadOnlySpan<byte> destination = ip.Slice(v6 ? 24 : 16, length);
        if (_source.Equals(source))
        {
            return Reject(Rejection.OwnAddress);
        }
        if (ip[v6 ? 6 : 9] != CarpHeader.Protocol)
        {
            return Reject(Rejection.NotCarp);
        }
        int ipLength = v6 ? CarpHeader.Ipv6Size : (ip[0] & 0x0f) << 2;
        if (ip.Length < ipLength + CarpHeader.Size)
        {
            return Reject(Rejection.BogusSize, ip.Length, ipLength);
        }
        ReadOnlySpan<byte> carp = ip.Slice(ipLength, CarpHeader.Size);
        byte ttl = ip[v6 ? 7 : 8];
        if (ttl != CarpHeader.Ttl && !Unicast)
        {
            return Reject(Rejection.BadTtl, ttl);
        }
        if (carp[CarpHeader.VersionType] >> 4 != CarpHeader.Version)
        {
            return Reject(Rejection.BadVersion, carp[CarpHeader.VersionType] >> 4);
        }
        if (carp[CarpHeader.Vhid] != _vhid)
        {
            return Reject(Rejection.OtherVhid, carp[CarpHeader.Vhid]);
        }
        ReadResult addressing = CheckAddresses(source, destination);
        if (!addressing.IsValid)
        {
            return addressing;
        }
        // ucarp sums the IPv4 and CARP headers together; for IPv6 the CARP header alone
        // is summed, as FreeBSD's carp6_input does.
        if (InternetChecksum.Compute(v6 ? carp : ip[..(ipLength + CarpHeader.Size)]) != 0)
        {
            return Reject(Rejection.BadChecksum);
        }
        return Authenticate(carp, new IpAddress(source));
    }

    /// <summary>From a peer to us with --peer, else to our group; a valid result when it is.</summary>
    ReadResult CheckAddresses(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        Rejection why = AdvertAddressing.Check(_source, _group, _peers, source, destination, out IpAddress named);
        return why == Rejection.None ? default : Reject(why, address: named);
    }

    /// <summary>The HMAC, last and dearest: the advert, or the two digests ucarp prints.</summary>
    ReadResult Authenticate(ReadOnlySpan<byte> carp, IpAddress source)
    {
        Span<byte> computed = stackalloc byte[CarpHmac.Length];
        ReadOnlySpan<byte> counter = carp.Slice(CarpHeader.Counter, 8);
        ReadOnlySpan<byte> received = carp.Slice(CarpHeader.Digest, CarpHmac.Length);
        if (!_hmac.Verify(counter, received, computed))
        {
            return new ReadResult(Rejection.BadDigest, default, 0, 0,
                BinaryPrimitives.ReadUInt32BigEndian(computed), BinaryPrimitives.ReadUInt32BigEndian(received));
        }
        var advert = new ReceivedAdvert(source, carp[CarpHeader.AdvBase], carp[CarpHeader.AdvSkew],
                                        BinaryPrimitives.ReadUInt64BigEndian(counter));
        return new ReadResult(Rejection.None, advert, 0, 0, 0, 0);
    }

    static ReadResult Reject(Rejection why, int a = 0, int b = 0, IpAddress address = default) => new(why, default, a, b, 0, 0, address);
}
