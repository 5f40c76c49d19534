using System.Globalization;
using System.Text;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// Replaces a file's content atomically: written beside it under a temporary name, then
/// renamed over it, so a reader (jq, node_exporter) sees the old or the new document,
/// never half of one. The directory may be writable by others (node_exporter's textfile
/// directory), and the daemon runs as root: the temporary name is unpredictable
/// (getrandom) and created with O_EXCL|O_NOFOLLOW, so a planted file or symlink makes
/// the write fail instead of redirecting it.
/// </summary>
internal static class AtomicFile
{
    const uint Mode = 0x1B6;   // 0666 less the umask, as File.WriteAllText created it
    const int Attempts = 4;    // a name taken by chance (2^-64) is drawn again, a few times

    /// <summary>The temporary file beside <paramref name="path"/>: PATH.tmp.RANDOM, 16 hex digits.</summary>
    public static string TemporaryName(string path) =>
        path + ".tmp." + SystemCarpRandom.Draw().ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>Returns null on success, else the reason.</summary>
    public static unsafe string? Replace(string path, string content)
    {
        byte[] target = CStrings.Z(path);
        byte[] temporary = [];
        int fd = -1;
        for (int attempt = 0; attempt < Attempts && fd < 0; attempt++)
        {
            temporary = CStrings.Z(TemporaryName(path));
            fixed (byte* p = temporary)
            {
                fd = Libc.Open(p, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, Mode);
            }
            if (fd < 0 && Libc.LastErrno != Libc.EEXIST)
            {
                break;
            }
        }
        if (fd < 0)
        {
            return Libc.StrError(Libc.LastErrno);
        }
        string? error = WriteAll(fd, Encoding.UTF8.GetBytes(content));
        // NFS may report a failed write only at close.
        if (Libc.Close(fd) != 0 && error is null)
        {
            error = Libc.StrError(Libc.LastErrno);
        }
        fixed (byte* from = temporary)
        fixed (byte* to = target)
        {
            if (error is null && Libc.Rename(from, to) != 0)
            {
                error = Libc.StrError(Libc.LastErrno);
            }
            if (error is not null)
            {
                // Nothing more to do when this fails too: the directory itself is the trouble.
                Libc.Unlink(from);
            }
        }
        return error;
    }

    static unsafe string? WriteAll(int fd, byte[] bytes)
    {
        int done = 0;
        while (done < bytes.Length)
        {
            nint n;
            fixed (byte* b = &bytes[done])
            {
                n = Libc.Write(fd, b, (nuint)(bytes.Length - done));
            }
            if (n < 0 && Libc.LastErrno == Libc.EINTR)
            {
                continue;
            }
            if (n <= 0)
            {
                return n < 0 ? Libc.StrError(Libc.LastErrno) : "short write";
            }
            done += (int)n;
        }
        return null;
    }
}
