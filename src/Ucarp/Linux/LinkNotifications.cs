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

    public static unsafe LinkNotifications? TryOpen()
    {
        int socket = Libc.Socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC | Libc.SOCK_NONBLOCK, Libc.NETLINK_ROUTE);
        if (socket < 0)
        {
            return null;
        }
        var owned = new FileDescriptor(socket);
        var local = new SockAddrNl { Family = Libc.AF_NETLINK, Groups = Libc.RTMGRP_LINK };
        if (Libc.Bind(socket, &local, (uint)sizeof(SockAddrNl)) < 0)
        {
            owned.Dispose();
            return null;
        }
        return new LinkNotifications(owned);
    }

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
