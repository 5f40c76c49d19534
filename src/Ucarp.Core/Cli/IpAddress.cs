using System.Buffers.Binary;

namespace Ucarp.Core.Cli;

public enum IpFamily : byte
{
    V4,
    V6,
}

/// <summary>
/// An IPv4 or IPv6 address as the bytes on the wire (4 or 16). The default value is
/// 0.0.0.0, which ucarp's checks take for "not given". A plain struct: comparing and
/// copying addresses on the receive path allocates nothing.
/// </summary>
public readonly struct IpAddress : IEquatable<IpAddress>
{
    // Big-endian halves of the 16-byte form; an IPv4 address sits in the low 32 bits of _low.
    readonly ulong _high;
    readonly ulong _low;

    public IpAddress(byte a, byte b, byte c, byte d)
    {
        Family = IpFamily.V4;
        _low = (uint)(a << 24 | b << 16 | c << 8 | d);
    }

    /// <summary>4 bytes make an IPv4 address, 16 an IPv6 one.</summary>
    public IpAddress(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 4)
        {
            Family = IpFamily.V4;
            _low = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        }
        else if (bytes.Length == 16)
        {
            Family = IpFamily.V6;
            _high = BinaryPrimitives.ReadUInt64BigEndian(bytes);
            _low = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        }
        else
        {
            throw new ArgumentException("an address is 4 or 16 bytes", nameof(bytes));
        }
    }

    public static readonly IpAddress Any = default;

    public IpFamily Family { get; }

    public bool IsV6 => Family == IpFamily.V6;

    /// <summary>Bytes on the wire: 4 or 16.</summary>
    public int Length => IsV6 ? 16 : 4;

    /// <summary>0.0.0.0 or ::, which ucarp's checks take for "not given".</summary>
    public bool IsZero => _high == 0 && _low == 0;

    /// <summary>Byte <paramref name="i"/> as on the wire.</summary>
    public byte this[int i] => IsV6
        ? (byte)((i < 8 ? _high : _low) >> (8 * (7 - (i & 7))))
        : (byte)(_low >> (8 * (3 - i)));

    /// <summary>
    /// in_addr.s_addr as an integer on a little-endian host, which is how ucarp on
    /// x86 and arm64 compares IPv4 addresses for the master tie-break: the last octet
    /// weighs most, so 10.99.1.1 counts as higher than 10.99.0.2.
    /// </summary>
    public uint HostOrderRaw => BinaryPrimitives.ReverseEndianness((uint)_low);

    /// <summary>
    /// The order of the master tie-break: ucarp's raw host-order comparison for IPv4
    /// (faithful on the wire's behaviour); for IPv6, which ucarp never had, the
    /// addresses' bytes in order (memcmp), the one comparison that does not depend on
    /// the host's byte order.
    /// </summary>
    public int TieBreakCompare(IpAddress other)
    {
        if (!IsV6)
        {
            return HostOrderRaw.CompareTo(other.HostOrderRaw);
        }
        int high = _high.CompareTo(other._high);
        return high != 0 ? high : _low.CompareTo(other._low);
    }

    public void CopyTo(Span<byte> destination)
    {
        if (IsV6)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
            BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_low);
        }
    }

    /// <summary>True when <paramref name="bytes"/> starts with this address's bytes.</summary>
    public bool Equals(ReadOnlySpan<byte> bytes) => IsV6
        ? BinaryPrimitives.ReadUInt64BigEndian(bytes) == _high && BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]) == _low
        : BinaryPrimitives.ReadUInt32BigEndian(bytes) == (uint)_low;

    public bool Equals(IpAddress other) => Family == other.Family && _high == other._high && _low == other._low;

    public override bool Equals(object? obj) => obj is IpAddress other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Family, _high, _low);

    public static bool operator ==(IpAddress a, IpAddress b) => a.Equals(b);

    public static bool operator !=(IpAddress a, IpAddress b) => !a.Equals(b);

    /// <summary>Dotted quad, or RFC 5952's text for IPv6 (what inet_ntop writes).</summary>
    public override string ToString()
    {
        if (!IsV6)
        {
            return $"{this[0]}.{this[1]}.{this[2]}.{this[3]}";
        }
        Span<byte> bytes = stackalloc byte[16];
        CopyTo(bytes);
        return new System.Net.IPAddress(bytes).ToString();
    }
}
