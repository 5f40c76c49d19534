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
    public ushort NextIpId() => (ushort)Draw();

    public ulong NextCounter() => Draw();

    /// <summary>Eight bytes from getrandom(2); also names temporary files unpredictably (AtomicFile).</summary>
    internal static unsafe ulong Draw()
    {
        ulong value;
        int got = 0;
        while (got < sizeof(ulong))
        {
            nint n = Libc.GetRandom((byte*)&value + got, (nuint)(sizeof(ulong) - got), 0);
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
        return BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(&value, sizeof(ulong)));
    }
}
