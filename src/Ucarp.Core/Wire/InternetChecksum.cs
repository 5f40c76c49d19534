namespace Ucarp.Core.Wire;

/// <summary>RFC 1071 ones'-complement checksum, computed as carp.c:cksum does.</summary>
public static class InternetChecksum
{
    public static ushort Compute(ReadOnlySpan<byte> data) => data.IsEmpty ? (ushort)0 : Finish(Add(0, data));

    /// <summary>
    /// Adds <paramref name="data"/>'s 16-bit words to a running sum, so that pieces (a
    /// pseudo-header, then a message) can be summed without being copied together. Only
    /// the last piece may have an odd length. The sum cannot overflow for data of less
    /// than 128 KiB.
    /// </summary>
    public static uint Add(uint sum, ReadOnlySpan<byte> data)
    {
        int even = data.Length & ~1;
        for (int i = 0; i < even; i += 2)
        {
            sum += (uint)((data[i] << 8) | data[i + 1]);
        }
        if (even != data.Length)
        {
            sum += (uint)(data[even] << 8);
        }
        return sum;
    }

    /// <summary>Folds a running sum into 16 bits and complements it: the checksum.</summary>
    public static ushort Finish(uint sum)
    {
        while (sum > 0xffff)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (ushort)~sum;
    }
}
