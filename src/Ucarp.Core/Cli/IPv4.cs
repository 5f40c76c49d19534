using System.Buffers.Binary;

namespace Ucarp.Core.Cli;

/// <summary>An IPv4 address as the four bytes on the wire.</summary>
public readonly record struct IPv4(byte A, byte B, byte C, byte D)
{
    public IPv4(ReadOnlySpan<byte> bytes) : this(bytes[0], bytes[1], bytes[2], bytes[3]) { }

    public static readonly IPv4 Any = default;

    public bool IsZero => A == 0 && B == 0 && C == 0 && D == 0;

    /// <summary>
    /// in_addr.s_addr as an integer on a little-endian host, which is how ucarp on
    /// x86 and arm64 compares addresses for the master tie-break: the last octet weighs
    /// most, so 10.99.1.1 counts as higher than 10.99.0.2.
    /// </summary>
    public uint HostOrderRaw => BinaryPrimitives.ReadUInt32LittleEndian([A, B, C, D]);

    public void CopyTo(Span<byte> destination)
    {
        destination[0] = A;
        destination[1] = B;
        destination[2] = C;
        destination[3] = D;
    }

    public bool Equals(ReadOnlySpan<byte> bytes) => bytes[0] == A && bytes[1] == B && bytes[2] == C && bytes[3] == D;

    public override string ToString() => $"{A}.{B}.{C}.{D}";
}
