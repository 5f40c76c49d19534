using System.Buffers.Binary;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Wire;

/// <summary>Why a received frame is not a valid advert for us; one reason per check of carp.c:packethandler.</summary>
public enum Rejection : byte
{
    None,
    /// <summary>No room for Ethernet and IPv4 headers (silent in ucarp).</summary>
    TooShort,
    /// <summary>Not IPv4 (ucarp's pcap filter drops these before it sees them).</summary>
    NotIpv4,
    /// <summary>Our own advert coming back (silent).</summary>
    OwnAddress,
    /// <summary>Not IP protocol 112 (silent).</summary>
    NotCarp,
    /// <summary>Shorter than the IP header length plus a CARP header (debug).</summary>
    BogusSize,
    /// <summary>TTL is not 255: the advert crossed a router (warning).</summary>
    BadTtl,
    /// <summary>CARP version is not 2 (warning).</summary>
    BadVersion,
    /// <summary>Another virtual host's advert (debug).</summary>
    OtherVhid,
    /// <summary>Sent to another IP destination than our group, unicast included (debug).</summary>
    OtherGroup,
    /// <summary>The IP and CARP headers do not sum to zero (warning).</summary>
    BadChecksum,
    /// <summary>Wrong password, vhid or virtual address (warning).</summary>
    BadDigest,
    /// <summary>With --peer: from an address that is not a listed peer (debug).</summary>
    NotFromPeer,
    /// <summary>With --peer: not addressed to our own (-s) address, a multicast advert included (debug).</summary>
    NotToUs,
}

/// <summary>A valid advert: what the state machine needs from it.</summary>
public readonly record struct ReceivedAdvert(IPv4 Source, byte AdvBase, byte AdvSkew, ulong Counter);

/// <summary>
/// The outcome of reading one frame: the advert, or the reason with the values
/// ucarp prints for it. A plain struct, so the rejection path allocates nothing.
/// </summary>
public readonly record struct ReadResult(Rejection Rejection, ReceivedAdvert Advert, int A, int B, uint ComputedDigest, uint ReceivedDigest)
{
    public bool IsValid => Rejection == Rejection.None;
}

/// <summary>
/// Checks a received frame as carp.c:packethandler does, in its order, cheapest checks
/// first and the HMAC last. Never throws: any byte sequence gives a result.
/// </summary>
public sealed class AdvertReader
{
    readonly IPv4 _source;
    readonly IPv4 _group;
    readonly byte _vhid;
    readonly CarpHmac _hmac;
    readonly IPv4[] _peers;

    /// <param name="peers">
    /// Unicast mode when not empty: adverts count only from a listed peer and addressed to
    /// our own address, and their TTL is not checked, since a routed peer's adverts arrive
    /// with less than 255 (as FreeBSD's carp does for unicast). Every other check stays.
    /// </param>
    public AdvertReader(IPv4 ownSource, IPv4 group, byte vhid, CarpHmac hmac, IReadOnlyList<IPv4>? peers = null)
    {
        _source = ownSource;
        _group = group;
        _vhid = vhid;
        _hmac = hmac;
        _peers = peers is null ? [] : [.. peers];
    }

    bool Unicast => _peers.Length != 0;

    public ReadResult Read(ReadOnlySpan<byte> frame)
    {
        const int eth = CarpHeader.EthernetSize;
        if (frame.Length <= eth + CarpHeader.Ipv4Size)
        {
            return Reject(Rejection.TooShort);
        }
        if (BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != CarpHeader.EtherTypeIpv4)
        {
            return Reject(Rejection.NotIpv4);
        }
        ReadOnlySpan<byte> ip = frame[eth..];
        if (_source.Equals(ip[12..16]))
        {
            return Reject(Rejection.OwnAddress);
        }
        if (ip[9] != CarpHeader.Protocol)
        {
            return Reject(Rejection.NotCarp);
        }
        int ipLength = (ip[0] & 0x0f) << 2;
        if (ip.Length < ipLength + CarpHeader.Size)
        {
            return Reject(Rejection.BogusSize, ip.Length, ipLength);
        }
        ReadOnlySpan<byte> carp = ip.Slice(ipLength, CarpHeader.Size);
        if (ip[8] != CarpHeader.Ttl && !Unicast)
        {
            return Reject(Rejection.BadTtl, ip[8]);
        }
        if (carp[CarpHeader.VersionType] >> 4 != CarpHeader.Version)
        {
            return Reject(Rejection.BadVersion, carp[CarpHeader.VersionType] >> 4);
        }
        if (carp[CarpHeader.Vhid] != _vhid)
        {
            return Reject(Rejection.OtherVhid, carp[CarpHeader.Vhid]);
        }
        if (Unicast)
        {
            if (!IsPeer(ip[12..16]))
            {
                return Reject(Rejection.NotFromPeer, BinaryPrimitives.ReadInt32BigEndian(ip[12..]));
            }
            if (!_source.Equals(ip[16..20]))
            {
                return Reject(Rejection.NotToUs, BinaryPrimitives.ReadInt32BigEndian(ip[16..]));
            }
        }
        else if (!_group.Equals(ip[16..20]))
        {
            return Reject(Rejection.OtherGroup, BinaryPrimitives.ReadInt32BigEndian(ip[16..]));
        }
        if (InternetChecksum.Compute(ip[..(ipLength + CarpHeader.Size)]) != 0)
        {
            return Reject(Rejection.BadChecksum);
        }
        Span<byte> computed = stackalloc byte[CarpHmac.Length];
        ReadOnlySpan<byte> counter = carp.Slice(CarpHeader.Counter, 8);
        ReadOnlySpan<byte> received = carp.Slice(CarpHeader.Digest, CarpHmac.Length);
        if (!_hmac.Verify(counter, received, computed))
        {
            return new ReadResult(Rejection.BadDigest, default, 0, 0,
                BinaryPrimitives.ReadUInt32BigEndian(computed), BinaryPrimitives.ReadUInt32BigEndian(received));
        }
        var advert = new ReceivedAdvert(new IPv4(ip[12..16]), carp[CarpHeader.AdvBase], carp[CarpHeader.AdvSkew],
                                        BinaryPrimitives.ReadUInt64BigEndian(counter));
        return new ReadResult(Rejection.None, advert, 0, 0, 0, 0);
    }

    bool IsPeer(ReadOnlySpan<byte> address)
    {
        foreach (IPv4 peer in _peers)
        {
            if (peer.Equals(address))
            {
                return true;
            }
        }
        return false;
    }

    static ReadResult Reject(Rejection why, int a = 0, int b = 0) => new(why, default, a, b, 0, 0);
}
