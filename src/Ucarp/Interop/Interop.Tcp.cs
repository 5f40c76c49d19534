using System.Runtime.InteropServices;

namespace Ucarp.Interop;

// What the etcd client's HTTP connections need from libc: stream sockets, a connect
// that can time out, timeouts on reads and writes, a shutdown, and name resolution.
internal static partial class Libc
{
    internal const int SOCK_STREAM = 1;
    internal const int SO_RCVTIMEO = 20;
    internal const int SO_SNDTIMEO = 21;
    internal const int IPPROTO_TCP = 6;
    internal const int TCP_NODELAY = 1;
    internal const int EINPROGRESS = 115;
    internal const short POLLOUT = 0x004;
    internal const int MSG_NOSIGNAL = 0x4000;
    internal const int SHUT_RDWR = 2;

    [LibraryImport(Name, EntryPoint = "connect", SetLastError = true)]
    internal static unsafe partial int Connect(int fd, void* address, uint length);

    // Wakes a thread blocked in recv on the socket (it reads the end of the stream), which
    // close(2) from another thread would not do.
    [LibraryImport(Name, EntryPoint = "shutdown", SetLastError = true)]
    internal static partial int Shutdown(int fd, int how);

    [LibraryImport(Name, EntryPoint = "getaddrinfo", StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int GetAddrInfo(string node, string? service, AddrInfo* hints, AddrInfo** result);

    [LibraryImport(Name, EntryPoint = "freeaddrinfo")]
    internal static unsafe partial void FreeAddrInfo(AddrInfo* info);

    [LibraryImport(Name, EntryPoint = "gai_strerror")]
    internal static unsafe partial byte* GaiStrError(int code);

    [LibraryImport(Name, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int command, int argument);

    internal const int F_GETFL = 3;
    internal const int F_SETFL = 4;
    internal const int O_NONBLOCK = 0x800;
}

/// <summary>struct addrinfo (netdb.h), 48 bytes on 64-bit Linux.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct AddrInfo
{
    public int Flags;
    public int Family;
    public int SockType;
    public int Protocol;
    public uint AddrLen;
    public byte* Addr;
    public byte* CanonName;
    public AddrInfo* Next;
}

/// <summary>struct timeval, for SO_RCVTIMEO and SO_SNDTIMEO.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TimeVal
{
    public long Seconds;
    public long Microseconds;
}
