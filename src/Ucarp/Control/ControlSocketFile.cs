using System.Diagnostics.CodeAnalysis;
using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Control;

/// <summary>What kept the control socket from being bound: each has its own line in the message catalogue.</summary>
internal enum ControlSocketFault
{
    /// <summary>The socket path itself (or its socket) failed: the error says how.</summary>
    Listen,
    /// <summary>Its directory could not be made or opened: the error says how.</summary>
    Directory,
    /// <summary>A symbolic link stands where its directory should: refused, not followed.</summary>
    DirectoryIsLink,
    /// <summary>Its directory belongs to another user, or others may write in it: the error's text says which.</summary>
    DirectoryUnsafe,
    /// <summary>Something other than a socket is at the path: left alone.</summary>
    NotSocket,
    /// <summary>A live daemon listens at the path.</summary>
    InUse,
}

/// <summary>
/// Where the control socket lives on disk: its directory (made if missing, 0755, never a
/// symbolic link, and only one that root or this user owns and no one else may write in
/// unless it is sticky: otherwise another user could put a symbolic link in the socket's
/// place between bind and chmod, and have root chmod a file of their choosing), a stale
/// socket left by a dead daemon (replaced) or a live one (refused), the bound socket at
/// mode 0600, and its removal at exit (only if it is still ours).
/// </summary>
internal static class ControlSocketFile
{
    /// <summary>The directory the socket is made in.</summary>
    public static string DirectoryOf(string path) => Path.GetDirectoryName(path) is { Length: > 0 } d ? d : ".";

    /// <summary>A listening socket at <paramref name="path"/>; false with what stood in the way.</summary>
    public static unsafe bool TryBind(string path, int backlog, [NotNullWhen(true)] out FileDescriptor? listener, out ulong inode,
                                      out ControlSocketFault fault, out SysError error)
    {
        listener = null;
        inode = 0;
        fault = ControlSocketFault.Listen;
        if (!UnixEndpoint.TryMake(path, out SockAddrUn address))
        {
            error = new SysError(0, "the path does not fit in a socket address");
            return false;
        }
        if (!TryPrepareDirectory(DirectoryOf(path), out fault, out error) || !TryClearStale(path, address, out fault, out error))
        {
            return false;
        }
        var socket = new FileDescriptor(Libc.Socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0));
        if (socket.IsInvalid)
        {
            error = SysError.Last();
            return false;
        }
        fixed (byte* z = CStrings.Z(path))
        {
            // Linux makes the socket file with the socket inode's mode less the umask: set
            // to 0600 first, the file never exists wider (it did, for the moment between
            // bind and chmod, and a test reading the mode at once saw 0755). The chmod after
            // stays for any kernel that does not. Connecting needs write permission, and the
            // daemon checks every peer's credentials anyway.
            if (Libc.FChMod(socket.Fd, 0b110_000_000) != 0
                || Libc.Bind(socket.Fd, &address, (uint)sizeof(SockAddrUn)) != 0
                || Libc.ChMod(z, 0b110_000_000) != 0
                || Libc.Listen(socket.Fd, backlog) != 0
                || (inode = Inode(z)) == 0)
            {
                error = SysError.Last();
                socket.Dispose();
                return false;
            }
        }
        listener = socket;
        error = SysError.None;
        return true;
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

    static unsafe bool TryPrepareDirectory(string directory, out ControlSocketFault fault, out SysError error)
    {
        fault = ControlSocketFault.Directory;
        fixed (byte* z = CStrings.Z(directory))
        {
            bool created = Libc.MkDir(z, 0b111_101_101) == 0;
            if (!created && Libc.LastErrno != Libc.EEXIST)
            {
                error = SysError.Last();
                return false;
            }
            // O_NOFOLLOW: a symbolic link put in the directory's place is refused, not followed.
            int fd = Libc.Open(z, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
            if (fd < 0)
            {
                error = SysError.Last();
                // With O_DIRECTORY, Linux says ENOTDIR for a link: which it is, lstat tells.
                StatX st;
                if (Libc.Statx(Libc.AT_FDCWD, z, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_TYPE, &st) == 0 && (st.Mode & Libc.S_IFMT) == Libc.S_IFLNK)
                {
                    fault = ControlSocketFault.DirectoryIsLink;
                }
                return false;
            }
            // mkdir's mode went through the umask; the directory is readable by all, as /run's are.
            if (created)
            {
                Libc.FChMod(fd, 0b111_101_101);
            }
            // Read through the descriptor opened without following links: what is checked is what is used.
            StatX dir;
            byte empty = 0;
            int got = Libc.Statx(fd, &empty, Libc.AT_EMPTY_PATH, Libc.STATX_MODE | Libc.STATX_UID, &dir);
            error = got == 0 ? SysError.None : SysError.Last("statx");
            Libc.Close(fd);
            if (got != 0)
            {
                return false;
            }
            if (UnsafeDirectory(dir.Uid, dir.Mode & 0b111_111_111_111, Libc.GetEuid()) is string why)
            {
                fault = ControlSocketFault.DirectoryUnsafe;
                error = new SysError(0, why);
                return false;
            }
            return true;
        }
    }

    /// <summary>True when nothing is at the path any more (a dead daemon's socket is removed).</summary>
    static unsafe bool TryClearStale(string path, in SockAddrUn address, out ControlSocketFault fault, out SysError error)
    {
        fault = ControlSocketFault.Listen;
        error = SysError.None;
        StatX st;
        fixed (byte* z = CStrings.Z(path))
        {
            if (Libc.Statx(Libc.AT_FDCWD, z, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_TYPE, &st) != 0)
            {
                if (Libc.LastErrno == Libc.ENOENT)
                {
                    return true;
                }
                error = SysError.Last();
                return false;
            }
            if ((st.Mode & Libc.S_IFMT) != Libc.S_IFSOCK)
            {
                fault = ControlSocketFault.NotSocket;
                return false;
            }
            using var probe = new FileDescriptor(Libc.Socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0));
            int connected = probe.IsInvalid ? -1 : UnixEndpoint.Connect(probe.Fd, address);
            error = connected == 0 ? SysError.None : SysError.Last();
            // EAGAIN: a live listener whose backlog is full.
            if (connected == 0 || error.Errno == Libc.EAGAIN)
            {
                fault = ControlSocketFault.InUse;
                return false;
            }
            if (error.Errno != Libc.ECONNREFUSED)
            {
                return false;
            }
            if (Libc.Unlink(z) != 0 && Libc.LastErrno != Libc.ENOENT)
            {
                error = SysError.Last();
                return false;
            }
            error = SysError.None;
            return true;
        }
    }

    /// <summary>Why another user could replace a socket made in a directory of this owner and mode, or null when no one can.</summary>
    internal static string? UnsafeDirectory(uint owner, int mode, uint euid)
    {
        const int Sticky = 0b001_000_000_000, WritableByOthers = 0b000_000_010_010;
        if (owner != 0 && owner != euid)
        {
            return Messages.ControlDirectoryOwner(owner);
        }
        // A sticky directory (/tmp) lets others make entries but not remove or rename ours.
        return (mode & WritableByOthers) != 0 && (mode & Sticky) == 0 ? Messages.ControlDirectoryWritable(mode) : null;
    }

    static unsafe ulong Inode(byte* path)
    {
        StatX st;
        return Libc.Statx(Libc.AT_FDCWD, path, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_INO, &st) == 0 ? st.Ino : 0;
    }
}
