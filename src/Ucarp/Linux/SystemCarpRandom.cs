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
    // A thread's draws come from 256 bytes fetched at once: a master of 4,080 groups sends
    // as many adverts a second, each with a new IP id, and one getrandom(2) for each was a
    // twentieth of its CPU. Per thread, so no lock; the values are the kernel's all the same.
    const int PoolBytes = 256;
    [ThreadStatic] static byte[]? t_pool;
    [ThreadStatic] static int t_used;

    public ushort NextIpId() => (ushort)Draw();

    public ulong NextCounter() => Draw();

    /// <summary>Eight bytes from getrandom(2), by way of the thread's pool; also names temporary files unpredictably (AtomicFile).</summary>
    internal static ulong Draw()
    {
        byte[]? pool = t_pool;
        if (pool is null || t_used + sizeof(ulong) > PoolBytes)
        {
            pool = t_pool ??= new byte[PoolBytes];
            Fill(pool);
            t_used = 0;
        }
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(pool.AsSpan(t_used, sizeof(ulong)));
        // Each value is handed out once: wiped, so what was drawn is not left in memory.
        pool.AsSpan(t_used, sizeof(ulong)).Clear();
        t_used += sizeof(ulong);
        return value;
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
