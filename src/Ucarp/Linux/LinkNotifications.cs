using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// The kernel's word that some interface changed (rtnetlink's link group: a carrier lost or
/// back, an interface taken down, added or deleted), read without blocking. What changed is
/// not read from the messages: the watcher then looks at its interfaces' flags, as it would
/// have at its next poll, so nothing of the notification's content is trusted or parsed.
/// </summary>
internal sealed class LinkNotifications(FileDescriptor fd) : IDisposable
{
    public int Fd => fd.Fd;

    public static LinkNotifications? TryOpen() =>
        NetlinkRoute.TrySubscribe(Libc.RTMGRP_LINK, out FileDescriptor? socket, out _) ? new LinkNotifications(socket!) : null;

    /// <summary>
    /// Reads what is waiting (a bounded number of datagrams a turn); true when anything came,
    /// or the kernel dropped notifications because the queue was full (ENOBUFS).
    /// </summary>
    public unsafe bool Drain()
    {
        // Read only to be consumed: a datagram longer than this is cut, and its rest dropped.
        byte* scrap = stackalloc byte[64];
        bool any = false;
        for (int datagrams = 0; datagrams < 64; datagrams++)
        {
            nint received = Libc.Recv(fd.Fd, scrap, 64, Libc.MSG_DONTWAIT);
            if (received < 0)
            {
                if (Libc.LastErrno == Libc.ENOBUFS)
                {
                    any = true;
                    continue;
                }
                return any;   // EAGAIN: nothing more
            }
            any = true;
        }
        return any;
    }

    public void Dispose() => fd.Dispose();
}
