using System.Buffers.Binary;
using Ucarp.Core.Carp;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// Production randomness from the kernel's CSPRNG, getrandom(2), as arc4random() is for
/// ucarp. Not .NET's RandomNumberGenerator: on Linux that loads OpenSSL's libssl and
/// libcrypto (3.5 MiB resident) for eight bytes a second.
/// </summary>
internal sealed class SystemCarpRandom : ICarpRandom
{
    // A thread's draws come from 1 KiB fetched at once, and an IP id takes two bytes of it:
    // a master of 4,080 groups sends as many adverts a second, each with a new IP id. One
    // getrandom(2) each was a twentieth of its CPU, and one per 32 draws still 3% (a system
    // call costs microseconds in a VM); now forty a second, ten bytes an advert while no
    // peer has been heard (a new counter each time, as ucarp), else eight. Per thread, so no
    // lock; the values are the kernel's all the same.
    const int PoolBytes = 1024;
    [ThreadStatic] static byte[]? t_pool;
    [ThreadStatic] static int t_used;

    public ushort NextIpId() => (ushort)Draw(sizeof(ushort));

    public ulong NextCounter() => Draw();

    /// <summary>
    /// <paramref name="bytes"/> (1 to 8) from getrandom(2), by way of the thread's pool, as
    /// the low bytes of the result; also names temporary files unpredictably (AtomicFile).
    /// </summary>
    internal static ulong Draw(int bytes = sizeof(ulong))
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)bytes - 1, (uint)sizeof(ulong) - 1, nameof(bytes));
        byte[]? pool = t_pool;
        if (pool is null || t_used + bytes > PoolBytes)
        {
            pool = t_pool ??= new byte[PoolBytes];
            Fill(pool);
            t_used = 0;
        }
        Span<byte> value = stackalloc byte[sizeof(ulong)];
        value.Clear();
        Span<byte> drawn = pool.AsSpan(t_used, bytes);
        drawn.CopyTo(value);
        // Each value is handed out once: wiped, so what was drawn is not left in memory.
        drawn.Clear();
        t_used += bytes;
        return BinaryPrimitives.ReadUInt64LittleEndian(value);
    }

    static unsafe void Fill(byte[] pool)
    {
        int got = 0;
        while (got < pool.Length)
        {
            nint n;
            fixed (byte* p = pool)
            {
                n = Libc.GetRandom(p + got, (nuint)(pool.Length - got), 0);
            }
            if (n > 0)
            {
                got += (int)n;
            }
            else if (Libc.LastErrno != Libc.EINTR)
            {
                // Only with no kernel support (before Linux 3.17): fail loudly rather than advertise a guessable counter.
                throw new InvalidOperationException(SysError.Last("getrandom").Perror);
            }
        }
    }
}
