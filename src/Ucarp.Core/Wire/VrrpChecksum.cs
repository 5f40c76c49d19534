using System.Buffers.Binary;

namespace Ucarp.Core.Wire;

/// <summary>
/// The two forms of the VRRP checksum. VRRPv2, and VRRPv3 over IPv4 as RFC 5798 words it
/// (keepalived 2.2.8's v3_checksum_as_v2), sum the VRRP message alone. VRRPv3 over IPv6
/// always, and over IPv4 as keepalived does by default, prefix the IP pseudo-header
/// (RFC 8200 §8.1 / RFC 768): source, destination, protocol 112 and the message's length.
/// Every word of both pseudo-headers is one of these, so one sum serves both families.
/// </summary>
public static class VrrpChecksum
{
    /// <summary>The checksum to write; the message's checksum field must be zero.</summary>
    public static ushort Pseudo(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> message) =>
        InternetChecksum.Finish(InternetChecksum.Add(PseudoSum(source, destination, message.Length), message));

    /// <summary>True when a received message, checksum included, sums to zero with the pseudo-header.</summary>
    public static bool PseudoValid(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> message) =>
        Pseudo(source, destination, message) == 0;

    /// <summary>True when a received message, checksum included, sums to zero alone.</summary>
    public static bool PlainValid(ReadOnlySpan<byte> message) => InternetChecksum.Compute(message) == 0;

    /// <summary>Writes the checksum into the message's field, summing with the field zeroed.</summary>
    public static void Write(Span<byte> message, bool pseudo, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        message[VrrpHeader.Checksum] = 0;
        message[VrrpHeader.Checksum + 1] = 0;
        ushort sum = pseudo ? Pseudo(source, destination, message) : InternetChecksum.Compute(message);
        BinaryPrimitives.WriteUInt16BigEndian(message[VrrpHeader.Checksum..], sum);
    }

    static uint PseudoSum(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, int length)
    {
        uint sum = InternetChecksum.Add(0, source);
        sum = InternetChecksum.Add(sum, destination);
        return sum + VrrpHeader.Protocol + (uint)length;
    }
}
