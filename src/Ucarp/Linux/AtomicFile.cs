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

    /// <summary>
    /// False with the reason when the file could not be replaced (it is then as it was).
    /// <paramref name="durable"/>: the content reaches the disk before the rename, so a
    /// power cut leaves the old file or the new one, never an empty one.
    /// </summary>
    /// <paramref name="mode"/>: the file's exact mode, whatever the umask (default: 0666 less the umask).
    public static unsafe bool TryReplace(string path, string content, out SysError error, bool durable = false, uint? mode = null)
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
            error = SysError.Last();
            return false;
        }
        bool written;
        if (mode is uint exact && Libc.FChMod(fd, exact) != 0)
        {
            error = SysError.Last("fchmod");
            written = false;
        }
        else
        {
            written = TryWriteAll(fd, Encoding.UTF8.GetBytes(content), out error);
        }
        if (written && durable && Libc.FSync(fd) != 0)
        {
            error = SysError.Last();
            written = false;
        }
        // NFS may report a failed write only at close.
        if (Libc.Close(fd) != 0 && written)
        {
            error = SysError.Last();
            written = false;
        }
        fixed (byte* from = temporary)
        fixed (byte* to = target)
        {
            if (written && Libc.Rename(from, to) != 0)
            {
                error = SysError.Last();
                written = false;
            }
            if (!written)
            {
                // Nothing more to do when this fails too: the directory itself is the trouble.
                Libc.Unlink(from);
            }
        }
        return written;
    }

    static unsafe bool TryWriteAll(int fd, byte[] bytes, out SysError error)
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
                error = n < 0 ? SysError.Last() : new SysError(0, "short write");
                return false;
            }
            done += (int)n;
        }
        error = SysError.None;
        return true;
    }
}
