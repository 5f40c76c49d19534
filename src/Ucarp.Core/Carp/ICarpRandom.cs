namespace Ucarp.Core.Carp;

/// <summary>
/// The one randomness seam: ucarp draws the IP id and, until it has heard a peer, the
/// advert counter from arc4random(). Tests feed the values seen in a capture.
/// </summary>
public interface ICarpRandom
{
    ushort NextIpId();
    ulong NextCounter();
}

/// <summary>Production randomness, from the system's CSPRNG.</summary>
public sealed class SystemCarpRandom : ICarpRandom
{
    public ushort NextIpId() => (ushort)System.Security.Cryptography.RandomNumberGenerator.GetInt32(0, 0x10000);

    public ulong NextCounter()
    {
        Span<byte> bytes = stackalloc byte[8];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }
}

/// <summary>Deterministic randomness for simulations: a seed gives the same run every time.</summary>
public sealed class SeededCarpRandom(int seed) : ICarpRandom
{
    readonly Random _random = new(seed);

    public ushort NextIpId() => (ushort)_random.Next(0, 0x10000);

    public ulong NextCounter() => (ulong)_random.NextInt64() ^ ((ulong)_random.Next() << 63);
}
