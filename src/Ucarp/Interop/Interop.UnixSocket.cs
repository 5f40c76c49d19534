using System.Runtime.InteropServices;

namespace Ucarp.Interop;

// The control socket (daemon and ucarpctl): AF_UNIX stream sockets, the peer's
// credentials, and the file checks around the socket's path.
internal static partial class Libc
{
    // sys/socket.h
    internal const int SO_PEERCRED = 17;

    // errno.h
    internal const int EPERM = 1;
    internal const int ENOENT = 2;
    internal const int EACCES = 13;
    internal const int ENOTDIR = 20;
    internal const int ENFILE = 23;
    internal const int EMFILE = 24;
    internal const int EADDRINUSE = 98;
    internal const int EPIPE = 32;
    internal const int ECONNABORTED = 103;
    internal const int ECONNRESET = 104;
    internal const int ECONNREFUSED = 111;

    // fcntl.h, sys/stat.h
    internal const int O_DIRECTORY = 0x10000;
    internal const int AT_FDCWD = -100;
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const uint STATX_TYPE = 0x1;
    internal const uint STATX_MODE = 0x2;
    internal const uint STATX_UID = 0x8;
    internal const int AT_EMPTY_PATH = 0x1000;
    internal const uint STATX_INO = 0x100;
    internal const ushort S_IFMT = 0xf000;
    internal const ushort S_IFSOCK = 0xc000;
    internal const ushort S_IFLNK = 0xa000;
    internal const ushort S_IFREG = 0x8000;

    [LibraryImport(Name, EntryPoint = "listen", SetLastError = true)]
    internal static partial int Listen(int fd, int backlog);

    [LibraryImport(Name, EntryPoint = "accept4", SetLastError = true)]
    internal static unsafe partial int Accept4(int fd, void* address, uint* length, int flags);

    [LibraryImport(Name, EntryPoint = "statx", SetLastError = true)]
    internal static unsafe partial int Statx(int dirFd, byte* path, int flags, uint mask, StatX* result);

    [LibraryImport(Name, EntryPoint = "mkdir", SetLastError = true)]
    internal static unsafe partial int MkDir(byte* path, uint mode);

    [LibraryImport(Name, EntryPoint = "chmod", SetLastError = true)]
    internal static unsafe partial int ChMod(byte* path, uint mode);

    [LibraryImport(Name, EntryPoint = "fchmod", SetLastError = true)]
    internal static partial int FChMod(int fd, uint mode);

    [LibraryImport(Name, EntryPoint = "geteuid")]
    internal static partial uint GetEuid();
}

/// <summary>struct sockaddr_un (sys/un.h), 110 bytes: the path NUL-terminated in sun_path.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SockAddrUn
{
    public const int PathSize = 108;
    public ushort Family;       // AF_UNIX
    public fixed byte Path[PathSize];
}

/// <summary>struct ucred (sys/socket.h), what SO_PEERCRED gives: the peer's pid, uid and gid.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct UCred
{
    public int Pid;
    public uint Uid;
    public uint Gid;
}

/// <summary>struct statx (linux/stat.h), 256 bytes, one layout on every architecture; only what we read is named.</summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal struct StatX
{
    [FieldOffset(0)] public uint Mask;
    [FieldOffset(20)] public uint Uid;
    [FieldOffset(28)] public ushort Mode;
    [FieldOffset(32)] public ulong Ino;
    [FieldOffset(136)] public uint DevMajor;
    [FieldOffset(140)] public uint DevMinor;
}
