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
        // One byte more than the limit tells a file that is too large.
        if (!DescriptorRead.TryReadAll(fd, limit + 1, out byte[] data, out SysError readError))
        {
            return KeepalivedFileRead.Fail(KeepalivedFileStatus.Failed, readError.Text);
        }
        if (data.Length > limit)
        {
            return KeepalivedFileRead.Fail(KeepalivedFileStatus.TooLarge, "too large");
        }
        return KeepalivedFileRead.Ok(data, $"{stat.DevMajor}:{stat.DevMinor}:{stat.Ino}");
    }

    public IReadOnlyList<string>? List(string directory)
    {
        try
        {
            var names = new List<string>();
            foreach (string entry in Directory.EnumerateFileSystemEntries(directory))
            {
                names.Add(Path.GetFileName(entry));
            }
            return names;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
