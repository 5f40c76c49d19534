using Ucarp.Control;
using Ucarp.Core.Control;
using Ucarp.Interop;

namespace Ucarpctl;

/// <summary>What became of one exchange with the daemon: its reply, or one line saying why there is none.</summary>
internal sealed record Exchange(int ExitCode, byte[] Body, string? Failure);

/// <summary>One request over the control socket and the daemon's whole reply, within a deadline.</summary>
internal static class ControlClient
{
    public static unsafe Exchange Run(string path, ControlCommand command, int timeoutSeconds)
    {
        long deadline = Environment.TickCount64 + timeoutSeconds * 1000L;
        string late = $"no answer from the daemon on {path} within {timeoutSeconds} s";
        if (!UnixEndpoint.TryMake(path, out SockAddrUn address))
        {
            return Failed($"{path}: the path does not fit in a socket address");
        }
        using var socket = new FileDescriptor(Libc.Socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0));
        if (socket.IsInvalid)
        {
            return Failed("socket: " + Libc.StrError(Libc.LastErrno));
        }
        // connect blocks only while a live daemon's backlog is full; SO_SNDTIMEO bounds that wait.
        var limit = new TimeVal { Seconds = timeoutSeconds };
        Libc.SetSockOpt(socket.Fd, Libc.SOL_SOCKET, Libc.SO_SNDTIMEO, &limit, (uint)sizeof(TimeVal));
        if (UnixEndpoint.Connect(socket.Fd, address) != 0)
        {
            int errno = Libc.LastErrno;
            return Failed(errno switch
            {
                Libc.ENOENT or Libc.ECONNREFUSED => $"no daemon is listening on {path}: {Libc.StrError(errno)}",
                Libc.EACCES or Libc.EPERM => $"not allowed to connect to {path}: {Libc.StrError(errno)}",
                Libc.EAGAIN or Libc.EINPROGRESS => late,
                _ => $"cannot connect to {path}: {Libc.StrError(errno)}",
            });
        }

        byte[] request = ControlFraming.EncodeRequest(command);
        fixed (byte* r = request)
        {
            nint sent = Libc.Send(socket.Fd, r, (nuint)request.Length, Libc.MSG_NOSIGNAL);
            // A daemon that closed early (it refuses this peer) may still have left its reply to read.
            if (sent < 0 && Libc.LastErrno is not (Libc.EPIPE or Libc.ECONNRESET))
            {
                return Failed(Libc.LastErrno == Libc.EAGAIN ? late : $"cannot send to {path}: {Libc.StrError(Libc.LastErrno)}");
            }
        }

        var reply = new MemoryStream();
        byte[] buffer = new byte[65536];
        while (true)
        {
            long left = deadline - Environment.TickCount64;
            var poll = new PollFd { Fd = socket.Fd, Events = Libc.POLLIN };
            var wait = new TimeSpec { Seconds = Math.Max(0, left) / 1000, Nanoseconds = Math.Max(0, left) % 1000 * 1_000_000 };
            int ready = left <= 0 ? 0 : Libc.PPoll(&poll, 1, &wait, null);
            if (ready < 0 && Libc.LastErrno == Libc.EINTR)
            {
                continue;
            }
            if (ready == 0)
            {
                return Failed(late);
            }
            nint n;
            fixed (byte* b = buffer)
            {
                n = Libc.Recv(socket.Fd, b, (nuint)buffer.Length, Libc.MSG_DONTWAIT);
            }
            if (n > 0)
            {
                reply.Write(buffer, 0, (int)n);
                if (reply.Length > ControlFraming.MaxReply)
                {
                    return Failed($"the daemon on {path} sent more than {ControlFraming.MaxReply} bytes");
                }
                continue;
            }
            // The daemon closes after its reply; ECONNRESET when it closed with our request unread.
            if (n == 0 || Libc.LastErrno == Libc.ECONNRESET)
            {
                break;
            }
            if (Libc.LastErrno is not (Libc.EAGAIN or Libc.EINTR))
            {
                return Failed($"cannot read from {path}: {Libc.StrError(Libc.LastErrno)}");
            }
        }
        byte[] all = reply.ToArray();
        if (!ControlFraming.TryDecodeReply(all, out int code, out ReadOnlySpan<byte> body))
        {
            return Failed(all.Length == 0 ? $"the daemon on {path} closed the connection without answering"
                                          : $"the daemon on {path} sent an answer ucarpctl does not understand");
        }
        return new Exchange(code, body.ToArray(), null);
    }

    static Exchange Failed(string why) => new(1, [], why);
}
