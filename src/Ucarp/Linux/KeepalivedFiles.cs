using Ucarp.Core.Keepalived;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// keepalived.conf and its includes read as keepalived reads them: through symlinks (its
/// fopen and stat follow them), a regular file that is not executable or nothing
/// (check_glob_file). Opened without blocking, so a FIFO or a device named by a hostile
/// include neither hangs nor floods the reader; read at most limit + 1 bytes. Nothing is
/// ever written.
/// </summary>
internal sealed class KeepalivedFiles : IKeepalivedFiles
{
    const int O_RDONLY = 0;
    const int O_NONBLOCK = 0x800;
    const int ENOENT = 2;
    const int ENOTDIR = 20;
    const ushort ExecutableBits = 0x49;   // S_IXUSR | S_IXGRP | S_IXOTH

    public unsafe KeepalivedFileRead Read(string path, int limit)
    {
        int fd;
        fixed (byte* p = CStrings.Z(path))
        {
            fd = Libc.Open(p, O_RDONLY | O_NONBLOCK | Libc.O_CLOEXEC);
        }
        if (fd < 0)
        {
            SysError error = SysError.Last();
            return KeepalivedFileRead.Fail(error.Errno is ENOENT or ENOTDIR ? KeepalivedFileStatus.Missing : KeepalivedFileStatus.Failed,
                                           error.Text);
        }
        using var handle = new FileDescriptor(fd);
        StatX stat;
        fixed (byte* empty = "\0"u8)
        {
            if (Libc.Statx(fd, empty, Libc.AT_EMPTY_PATH, Libc.STATX_TYPE | Libc.STATX_MODE | Libc.STATX_INO, &stat) != 0)
            {
                return KeepalivedFileRead.Fail(KeepalivedFileStatus.Failed, SysError.Last().Text);
            }
        }
        if ((stat.Mode & Libc.S_IFMT) != Libc.S_IFREG || (stat.Mode & ExecutableBits) != 0)
        {
            return KeepalivedFileRead.Fail(KeepalivedFileStatus.NotRegular, "not a regular file, or executable");
        }
        byte[] buffer = new byte[Math.Min(limit + 1, 64 * 1024)];
        int used = 0;
        while (true)
        {
            if (used == buffer.Length)
            {
                if (used > limit)
                {
                    return KeepalivedFileRead.Fail(KeepalivedFileStatus.TooLarge, "too large");
                }
                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, limit + 1));
            }
            nint n;
            fixed (byte* b = &buffer[used])
            {
                n = Libc.Read(fd, b, (nuint)(buffer.Length - used));
            }
            if (n < 0)
            {
                SysError error = SysError.Last();
                if (error.Errno == Libc.EINTR)
                {
                    continue;
                }
                return KeepalivedFileRead.Fail(KeepalivedFileStatus.Failed, error.Text);
            }
            if (n == 0)
            {
                break;
            }
            used += (int)n;
        }
        return KeepalivedFileRead.Ok(buffer[..used], $"{stat.DevMajor}:{stat.DevMinor}:{stat.Ino}");
    }

    public IReadOnlyList<string>? List(string directory)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).OfType<string>().ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
