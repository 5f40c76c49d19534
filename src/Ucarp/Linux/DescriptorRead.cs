using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>Reading a descriptor to its end, bounded: the one loop for files the daemon reads whole.</summary>
internal static class DescriptorRead
{
    /// <summary>
    /// Up to <paramref name="max"/> bytes, until end of file (a read interrupted by a signal
    /// is retried). The buffer grows from 64 KiB as the bytes come, so a large bound costs
    /// nothing for a small file. False with the error when a read failed; what came before
    /// it is in <paramref name="data"/> either way.
    /// </summary>
    public static unsafe bool TryReadAll(int fd, int max, out byte[] data, out SysError error)
    {
        error = default;
        byte[] buffer = new byte[Math.Min(max, 64 * 1024)];
        int used = 0;
        bool ok = true;
        while (used < max)
        {
            if (used == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(buffer.Length * 2L, max));
            }
            nint n;
            fixed (byte* b = &buffer[used])
            {
                n = Libc.Read(fd, b, (nuint)(buffer.Length - used));
            }
            if (n < 0)
            {
                error = SysError.Last();
                if (error.Errno == Libc.EINTR)
                {
                    continue;
                }
                ok = false;
                break;
            }
            if (n == 0)
            {
                break;
            }
            used += (int)n;
        }
        data = buffer[..used];
        return ok;
    }
}
