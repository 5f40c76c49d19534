using System.Globalization;
using System.Runtime.InteropServices;
using Ucarp.Interop;

namespace Ucarp.Etcd;

/// <summary>
/// A TCP connection to an etcd member, as libc makes it: each address the resolver gives
/// in turn, a non-blocking connect bounded by the exchange's deadline, the socket left
/// blocking once connected (its reads and writes have their own timeouts).
/// </summary>
internal static class TcpConnector
{
    /// <summary>A connected socket to one of the host's addresses; false with the resolver's words, or the first address's failure.</summary>
    public static unsafe bool TryConnect(string host, int port, int timeoutMs, out int fd, out SysError error)
    {
        fd = -1;
        AddrInfo hints = default;
        hints.SockType = Libc.SOCK_STREAM;
        hints.Flags = 0x0400; // AI_NUMERICSERV
        AddrInfo* found;
        int code = Libc.GetAddrInfo(host, port.ToString(CultureInfo.InvariantCulture), &hints, &found);
        if (code != 0)
        {
            error = new SysError(0, Marshal.PtrToStringUTF8((nint)Libc.GaiStrError(code)) ?? "cannot resolve " + host);
            return false;
        }
        try
        {
            var noAddress = new SysError(0, "no address");
            error = noAddress;
            for (AddrInfo* a = found; a is not null; a = a->Next)
            {
                int socket = Libc.Socket(a->Family, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC | Libc.SOCK_NONBLOCK, 0);
                if (socket < 0)
                {
                    error = SysError.Last();
                    continue;
                }
                if (Libc.Connect(socket, a->Addr, a->AddrLen) == 0 || (Libc.LastErrno == Libc.EINPROGRESS && TryFinishConnect(socket, timeoutMs, out error)))
                {
                    Libc.Fcntl(socket, Libc.F_SETFL, Libc.Fcntl(socket, Libc.F_GETFL, 0) & ~Libc.O_NONBLOCK);
                    fd = socket;
                    error = SysError.None;
                    return true;
                }
                if (Libc.LastErrno != Libc.EINPROGRESS && error == noAddress)
                {
                    error = SysError.Last();
                }
                Libc.Close(socket);
            }
            return false;
        }
        finally
        {
            Libc.FreeAddrInfo(found);
        }
    }

    /// <summary>Waits for a non-blocking connect to end; false when it timed out or failed (SO_ERROR).</summary>
    static unsafe bool TryFinishConnect(int fd, int timeoutMs, out SysError error)
    {
        var poll = new PollFd { Fd = fd, Events = Libc.POLLOUT };
        var timeout = new TimeSpec { Seconds = timeoutMs / 1000, Nanoseconds = timeoutMs % 1000 * 1_000_000L };
        int ready = Libc.PPoll(&poll, 1, &timeout, null);
        if (ready <= 0)
        {
            error = new SysError(0, "connection timed out");
            return false;
        }
        int status = 0;
        uint length = sizeof(int);
        Libc.GetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_ERROR, &status, &length);
        error = new SysError(status);
        return status == 0;
    }
}
