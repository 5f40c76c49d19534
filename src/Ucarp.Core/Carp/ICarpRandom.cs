namespace Ucarp.Core.Carp;

/// <summary>
/// The one randomness seam: ucarp draws the IP id and, until it has heard a peer, the
/// advert counter from arc4random(). Tests feed the values seen in a capture; the daemon
/// uses the kernel's getrandom(2) (Ucarp.Linux.SystemCarpRandom).
/// </summary>
public interface ICarpRandom
{
    ushort NextIpId();
    ulong NextCounter();
}

/// <summary>Deterministic randomness for simulations: a seed gives the same run every time.</summary>
public sealed class SeededCarpRandom(int seed) : ICarpRandom
{
    readonly Random _random = new(seed);

    public ushort NextIpId() => (ushort)_random.Next(0, 0x10000);

    public ulong NextCounter() => (ulong)_random.NextInt64() ^ ((ulong)_random.Next() << 63);
}
