using System.Runtime.InteropServices;

namespace Ucarp.Interop;

internal static partial class Libc
{
    // poll.h
    internal const short POLLIN = 0x1;
    internal const short POLLERR = 0x8;
    internal const short POLLHUP = 0x10;
    internal const short POLLNVAL = 0x20;
    internal const int EINTR = 4;
    internal const int EAGAIN = 11;
    internal const int EBADF = 9;
    internal const int ENODEV = 19;

    /// <summary>ppoll: like poll, with a timeout in nanoseconds rather than milliseconds.</summary>
    [LibraryImport(Name, EntryPoint = "ppoll", SetLastError = true)]
    internal static unsafe partial int PPoll(PollFd* fds, ulong count, TimeSpec* timeout, void* sigmask);
}

[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public int Fd;
    public short Events;
    public short REvents;
}

[StructLayout(LayoutKind.Sequential)]
internal struct TimeSpec
{
    public long Seconds;
    public long Nanoseconds;
}
