using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Control;

/// <summary>
/// Where the control socket lives on disk: its directory (made if missing, 0755, never a
/// symbolic link), a stale socket left by a dead daemon (replaced) or a live one (refused),
/// the bound socket at mode 0600, and its removal at exit (only if it is still ours).
/// </summary>
internal static class ControlSocketFile
{
    /// <summary>A listening socket at <paramref name="path"/>, or null and one line saying why.</summary>
    public static unsafe FileDescriptor? Bind(string path, int backlog, out ulong inode, out string error)
    {
        inode = 0;
        if (!UnixEndpoint.TryMake(path, out SockAddrUn address))
        {
            error = Messages.ControlListen(path, "the path does not fit in a socket address");
            return null;
        }
        string directory = Path.GetDirectoryName(path) is { Length: > 0 } d ? d : ".";
        if (!PrepareDirectory(directory, out error) || !ClearStale(path, address, out error))
        {
            return null;
        }
        var socket = new FileDescriptor(Libc.Socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0));
        if (socket.IsInvalid)
        {
            error = Messages.ControlListen(path, Libc.StrError(Libc.LastErrno));
            return null;
        }
        fixed (byte* z = CStrings.Z(path))
        {
            // The socket is created with the umask's mode, then narrowed: connecting needs
            // write permission, which a umask of 022 already withholds from others, and
            // the daemon checks every peer's credentials anyway.
            if (Libc.Bind(socket.Fd, &address, (uint)sizeof(SockAddrUn)) != 0
                || Libc.ChMod(z, 0b110_000_000) != 0
                || Libc.Listen(socket.Fd, backlog) != 0
                || (inode = Inode(z)) == 0)
            {
                error = Messages.ControlListen(path, Libc.StrError(Libc.LastErrno));
                socket.Dispose();
                return null;
            }
        }
        error = "";
        return socket;
    }

    /// <summary>Removes the socket file if it is still the one this daemon bound.</summary>
    public static unsafe void Remove(string path, ulong inode)
    {
        fixed (byte* z = CStrings.Z(path))
        {
            if (inode != 0 && Inode(z) == inode)
            {
                Libc.Unlink(z);
            }
        }
    }

    static unsafe bool PrepareDirectory(string directory, out string error)
    {
        error = "";
        fixed (byte* z = CStrings.Z(directory))
        {
            bool created = Libc.MkDir(z, 0b111_101_101) == 0;
            if (!created && Libc.LastErrno != Libc.EEXIST)
            {
                error = Messages.ControlDirectory(directory, Libc.StrError(Libc.LastErrno));
                return false;
            }
            // O_NOFOLLOW: a symbolic link put in the directory's place is refused, not followed.
            int fd = Libc.Open(z, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
            if (fd < 0)
            {
                int errno = Libc.LastErrno;
                // With O_DIRECTORY, Linux says ENOTDIR for a link: which it is, lstat tells.
                StatX st;
                bool link = Libc.Statx(Libc.AT_FDCWD, z, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_TYPE, &st) == 0 && (st.Mode & Libc.S_IFMT) == Libc.S_IFLNK;
                error = Messages.ControlDirectory(directory, link ? Messages.ControlDirectoryIsLink : Libc.StrError(errno));
                return false;
            }
            // mkdir's mode went through the umask; the directory is readable by all, as /run's are.
            if (created)
            {
                Libc.FChMod(fd, 0b111_101_101);
            }
            Libc.Close(fd);
            return true;
        }
    }

    /// <summary>True when nothing is at the path any more (a dead daemon's socket is removed).</summary>
    static unsafe bool ClearStale(string path, in SockAddrUn address, out string error)
    {
        error = "";
        StatX st;
        fixed (byte* z = CStrings.Z(path))
        {
            if (Libc.Statx(Libc.AT_FDCWD, z, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_TYPE, &st) != 0)
            {
                if (Libc.LastErrno == Libc.ENOENT)
                {
                    return true;
                }
                error = Messages.ControlListen(path, Libc.StrError(Libc.LastErrno));
                return false;
            }
            if ((st.Mode & Libc.S_IFMT) != Libc.S_IFSOCK)
            {
                error = Messages.ControlNotSocket(path);
                return false;
            }
            using var probe = new FileDescriptor(Libc.Socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0));
            int connected = probe.IsInvalid ? -1 : UnixEndpoint.Connect(probe.Fd, address);
            int errno = connected == 0 ? 0 : Libc.LastErrno;
            // EAGAIN: a live listener whose backlog is full.
            if (connected == 0 || errno == Libc.EAGAIN)
            {
                error = Messages.ControlInUse(path);
                return false;
            }
            if (errno != Libc.ECONNREFUSED)
            {
                error = Messages.ControlListen(path, Libc.StrError(errno));
                return false;
            }
            if (Libc.Unlink(z) != 0 && Libc.LastErrno != Libc.ENOENT)
            {
                error = Messages.ControlListen(path, Libc.StrError(Libc.LastErrno));
                return false;
            }
            return true;
        }
    }

    static unsafe ulong Inode(byte* path)
    {
        StatX st;
        return Libc.Statx(Libc.AT_FDCWD, path, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_INO, &st) == 0 ? st.Ino : 0;
    }
}
