namespace Ucarp.Core.Wire;

/// <summary>RFC 1071 ones'-complement checksum, computed as carp.c:cksum does.</summary>
public static class InternetChecksum
{
    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return 0;
        }
        uint sum = 0;
        int even = data.Length & ~1;
        for (int i = 0; i < even; i += 2)
        {
            sum += (uint)((data[i] << 8) | data[i + 1]);
        }
        if (even != data.Length)
        {
            sum += (uint)(data[even] << 8);
        }
        while (sum > 0xffff)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (ushort)~sum;
    }
}
