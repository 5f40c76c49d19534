using System.Buffers.Binary;
using System.Security.Cryptography;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Wire;

/// <summary>A valid VRRP advert: what the election needs from it. <paramref name="IntervalCentis"/> is version 2's seconds × 100.</summary>
public readonly record struct VrrpAdvert(IpAddress Source, byte Priority, ushort IntervalCentis, byte Count);

/// <summary>
/// The outcome of reading one frame: the advert, or the reason with the values its log
/// line names (<paramref name="Address"/>: the destination or source a routing rejection
/// names). A plain struct, so the rejection path allocates nothing.
/// </summary>
public readonly record struct VrrpReadResult(Rejection Rejection, VrrpAdvert Advert, int A, int B, IpAddress Address = default)
{
    public bool IsValid => Rejection == Rejection.None;
}

/// <summary>
/// Checks a received frame as RFC 5798 §7.1 (RFC 3768 §7.1 for version 2) orders it, with
/// keepalived's reading of each check (vrrp.c:vrrp_check_packet): cheap header checks,
/// then the checksum, then whether the advert is ours to hear. Never throws: any byte
/// sequence gives a result; nothing is allocated.
/// </summary>
public sealed class VrrpReader
{
    readonly byte _version;
    readonly IpAddress _source;
    readonly IpAddress _group;
    readonly byte _vrid;
    readonly byte _authType;
    readonly byte[] _authData = new byte[VrrpHeader.AuthDataSize];
    readonly int _intervalSeconds;
    readonly IpAddress[] _peers;

    /// <param name="version">2 or 3: an advert of the other version is refused (BadVersion).</param>
    /// <param name="ownSource">Our address: its family is the group's, and our own adverts coming back are dropped.</param>
    /// <param name="password">Version 2: the simple password expected (zero-padded to 8 bytes, as keepalived keeps it); empty for none.</param>
    /// <param name="ourIntervalCentis">Version 2: an advert must carry our interval in whole seconds (keepalived drops others).
    /// Version 3 takes the master's interval from its adverts (RFC 5798 §6.4.3), so it is not checked.</param>
    /// <param name="peers">
    /// Unicast mode when not empty: adverts count only from a listed peer and addressed to
    /// our own address, and their TTL is not checked (keepalived does not check it for
    /// unicast either). Every other check stays.
    /// </param>
    public VrrpReader(byte version, IpAddress ownSource, IpAddress group, byte vrid, byte[] password, ushort ourIntervalCentis,
                      IReadOnlyList<IpAddress> peers)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(password.Length, VrrpHeader.AuthDataSize);
        _version = version;
        _source = ownSource;
        _group = group;
        _vrid = vrid;
        _authType = password.Length == 0 ? VrrpHeader.AuthNone : VrrpHeader.AuthPassword;
        password.CopyTo(_authData, 0);
        _intervalSeconds = ourIntervalCentis / 100;
        _peers = Lists.ToArray(peers);
    }

    bool Unicast => _peers.Length != 0;

    public VrrpReadResult Read(ReadOnlySpan<byte> frame)
    {
        const int eth = CarpHeader.EthernetSize;
        bool v6 = _source.IsV6;
        if (frame.Length <= eth + CarpHeader.IpSize(v6))
        {
            return Reject(Rejection.TooShort);
        }
        ReadOnlySpan<byte> ip = frame[eth..];
        // The IP version too: keepalived's kernel drops a packet whose header says another.
        if (BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != (v6 ? CarpHeader.EtherTypeIpv6 : CarpHeader.EtherTypeIpv4)
            || ip[0] >> 4 != (v6 ? 6 : 4))
        {
            return Reject(Rejection.WrongFamily);
        }
        int length = _source.Length;
        ReadOnlySpan<byte> source = ip.Slice(v6 ? 8 : 12, length);
        ReadOnlySpan<byte> destination = ip.Slice(v6 ? 24 : 16, length);
        if (_source.Equals(source))
        {
            return Reject(Rejection.OwnAddress);
        }
        if (ip[v6 ? 6 : 9] != VrrpHeader.Protocol)
        {
            return Reject(Rejection.NotCarp);
        }
        // The VRRP message is what the IP header says the packet holds, not what the frame
        // holds: Ethernet pads short frames (a one-address VRRPv3 frame is 46 bytes of 60).
        int ipLength = v6 ? CarpHeader.Ipv6Size : (ip[0] & 0x0f) << 2;
        int packetLength = v6 ? CarpHeader.Ipv6Size + BinaryPrimitives.ReadUInt16BigEndian(ip[4..]) : BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (ipLength < CarpHeader.IpSize(v6) || packetLength > ip.Length || packetLength < ipLength + VrrpHeader.Size)
        {
            return Reject(Rejection.BogusSize, ip.Length, packetLength);
        }
        ReadOnlySpan<byte> vrrp = ip[ipLength..packetLength];
        // The message must hold exactly the addresses it counts (and v2's auth data),
        // reckoned with the version it claims, as keepalived's expected_vrrp_pkt_len does.
        int expected = VrrpHeader.Length((byte)(vrrp[VrrpHeader.VersionType] >> 4), v6, vrrp[VrrpHeader.Count]);
        if (vrrp.Length != expected)
        {
            return Reject(Rejection.BogusSize, vrrp.Length, expected);
        }
        byte ttl = ip[v6 ? 7 : 8];
        if (ttl != VrrpHeader.Ttl && !Unicast)
        {
            return Reject(Rejection.BadTtl, ttl);
        }
        if (vrrp[VrrpHeader.VersionType] >> 4 != _version)
        {
            return Reject(Rejection.BadVersion, vrrp[VrrpHeader.VersionType] >> 4);
        }
        if ((vrrp[VrrpHeader.VersionType] & 0x0f) != VrrpHeader.TypeAdvertisement)
        {
            return Reject(Rejection.BadType, vrrp[VrrpHeader.VersionType] & 0x0f);
        }
        // The IPv4 header's own checksum as well: the packet socket sees frames before the
        // kernel's IP layer, which drops a bad one before keepalived could.
        if ((!v6 && InternetChecksum.Compute(ip[..ipLength]) != 0) || !ChecksumValid(v6, source, destination, vrrp))
        {
            return Reject(Rejection.BadChecksum);
        }
        if (vrrp[VrrpHeader.Vrid] != _vrid)
        {
            return Reject(Rejection.OtherVhid, vrrp[VrrpHeader.Vrid]);
        }
        VrrpReadResult addressing = CheckAddresses(source, destination);
        if (!addressing.IsValid)
        {
            return addressing;
        }
        ushort interval;
        if (_version == VrrpHeader.Version2)
        {
            VrrpReadResult auth = Authenticate(v6, vrrp);
            if (!auth.IsValid)
            {
                return auth;
            }
            // keepalived drops a v2 advert with another interval "to prevent concurrent VRID running".
            int seconds = vrrp[VrrpHeader.AdverInt];
            if (seconds != _intervalSeconds)
            {
                return Reject(Rejection.IntervalMismatch, seconds, _intervalSeconds);
            }
            interval = (ushort)(seconds * 100);
        }
        else
        {
            interval = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(vrrp[VrrpHeader.MaxAdverInt..]) & VrrpHeader.MaxIntervalCentis);
            if (interval == 0)
            {
                // A backup learning it would time out at once, and take over from the master
                // it hears, over and over: no interval is not an advert.
                return Reject(Rejection.IntervalMismatch, 0, 0);
            }
        }
        var advert = new VrrpAdvert(new IpAddress(source), vrrp[VrrpHeader.Priority], interval, vrrp[VrrpHeader.Count]);
        return new VrrpReadResult(Rejection.None, advert, 0, 0);
    }

    /// <summary>
    /// Version 2 over IPv4 sums the message alone; IPv6 (where the kernel checks it for
    /// keepalived) the pseudo-header and the message; version 3 over IPv4 either, since
    /// keepalived sums the pseudo-header by default and RFC 5798 (keepalived 2.2.8's
    /// v3_checksum_as_v2) does not.
    /// </summary>
    bool ChecksumValid(bool v6, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> vrrp)
    {
        if (v6)
        {
            return VrrpChecksum.PseudoValid(source, destination, vrrp);
        }
        if (_version == VrrpHeader.Version2)
        {
            return VrrpChecksum.PlainValid(vrrp);
        }
        return VrrpChecksum.PseudoValid(source, destination, vrrp) || VrrpChecksum.PlainValid(vrrp);
    }

    /// <summary>From a peer to us with peers, else to our group; a valid result when it is.</summary>
    VrrpReadResult CheckAddresses(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        Rejection why = AdvertAddressing.Check(_source, _group, _peers, source, destination, out IpAddress named);
        return why == Rejection.None ? default : Reject(why, address: named);
    }

    /// <summary>
    /// Version 2: the auth type must be ours (keepalived refuses unknown types and a
    /// mismatch alike), and with a password the 8 bytes after the addresses must be it.
    /// keepalived sends no auth data over IPv6, so only the type is compared there.
    /// </summary>
    VrrpReadResult Authenticate(bool v6, ReadOnlySpan<byte> vrrp)
    {
        byte type = vrrp[VrrpHeader.AuthType];
        if (type != _authType)
        {
            return Reject(Rejection.BadAuth, type, _authType);
        }
        if (type == VrrpHeader.AuthPassword && !v6 &&
            !CryptographicOperations.FixedTimeEquals(vrrp[^VrrpHeader.AuthDataSize..], _authData))
        {
            return Reject(Rejection.BadAuth, type, _authType);
        }
        return default;
    }

    static VrrpReadResult Reject(Rejection why, int a = 0, int b = 0, IpAddress address = default) => new(why, default, a, b, address);
}
