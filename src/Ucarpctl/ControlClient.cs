using Ucarp.Control;
using Ucarp.Core.Control;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarpctl;

/// <summary>What became of one exchange with the daemon: its reply, or one line saying why there is none.</summary>
internal sealed record Exchange(int ExitCode, byte[] Body, string? Failure);

/// <summary>One request over the control socket and the daemon's whole reply, within a deadline.</summary>
internal static class ControlClient
{
    /// <summary>Connected, with the request sent; or null and why (<paramref name="failure"/>).</summary>
    static unsafe FileDescriptor? Send(string path, ControlCommand command, int timeoutSeconds, string late, out string? failure)
    {
        failure = null;
        if (!UnixEndpoint.TryMake(path, out SockAddrUn address))
        {
            return Fail($"{path}: the path does not fit in a socket address", out failure);
        }
        var socket = new FileDescriptor(Libc.Socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0));
        if (socket.IsInvalid)
        {
            socket.Dispose();
            return Fail("socket: " + Libc.StrError(Libc.LastErrno), out failure);
        }
        // connect blocks only while a live daemon's backlog is full; SO_SNDTIMEO bounds that wait.
        var limit = new TimeVal { Seconds = timeoutSeconds };
        Libc.SetSockOpt(socket.Fd, Libc.SOL_SOCKET, Libc.SO_SNDTIMEO, &limit, (uint)sizeof(TimeVal));
        if (UnixEndpoint.Connect(socket.Fd, address) != 0)
        {
            int errno = Libc.LastErrno;
            socket.Dispose();
            return Fail(errno switch
            {
                Libc.ENOENT or Libc.ECONNREFUSED => $"no daemon is listening on {path}: {Libc.StrError(errno)}",
                Libc.EACCES or Libc.EPERM => $"not allowed to connect to {path}: {Libc.StrError(errno)}",
                Libc.EAGAIN or Libc.EINPROGRESS => late,
                _ => $"cannot connect to {path}: {Libc.StrError(errno)}",
            }, out failure);
        }

        byte[] request = ControlFraming.EncodeRequest(command);
        fixed (byte* r = request)
        {
            nint sent = Libc.Send(socket.Fd, r, (nuint)request.Length, Libc.MSG_NOSIGNAL);
            // A daemon that closed early (it refuses this peer) may still have left its reply to read.
            if (sent < 0 && Libc.LastErrno is not (Libc.EPIPE or Libc.ECONNRESET))
            {
                socket.Dispose();
                return Fail(Libc.LastErrno == Libc.EAGAIN ? late : $"cannot send to {path}: {Libc.StrError(Libc.LastErrno)}", out failure);
            }
        }
        return socket;
    }

    static FileDescriptor? Fail(string why, out string failure)
    {
        failure = why;
        return null;
    }

    public static unsafe Exchange Run(string path, ControlCommand command, int timeoutSeconds)
    {
        long deadline = Environment.TickCount64 + timeoutSeconds * 1000L;
        string late = $"no answer from the daemon on {path} within {timeoutSeconds} s";
        using FileDescriptor? socket = Send(path, command, timeoutSeconds, late, out string? failure);
        if (socket is null)
        {
            return Failed(failure!);
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

    /// <summary>
    /// watch: the status line within the deadline, then everything the daemon sends, written
    /// to <paramref name="output"/> as it comes, until the daemon closes the connection (it
    /// stopped, or dropped a watcher that stopped reading). Returns the status, or 1 with why.
    /// </summary>
    public static unsafe int Stream(string path, ControlCommand command, int timeoutSeconds, Stream output, Stream errors)
    {
        long deadline = Environment.TickCount64 + timeoutSeconds * 1000L;
        string late = $"no answer from the daemon on {path} within {timeoutSeconds} s";
        using FileDescriptor? socket = Send(path, command, timeoutSeconds, late, out string? failure);
        var head = new List<byte>(8);
        int status = -1;
        byte[] buffer = new byte[65536];
        while (socket is not null)
        {
            long left = status < 0 ? deadline - Environment.TickCount64 : -1;
            var poll = new PollFd { Fd = socket.Fd, Events = Libc.POLLIN };
            var wait = new TimeSpec { Seconds = Math.Max(0, left) / 1000, Nanoseconds = Math.Max(0, left) % 1000 * 1_000_000 };
            int ready = status < 0 && left <= 0 ? 0 : Libc.PPoll(&poll, 1, status < 0 ? &wait : null, null);
            if (ready < 0 && Libc.LastErrno == Libc.EINTR)
            {
                continue;
            }
            if (ready == 0)
            {
                failure = late;
                break;
            }
            nint n;
            fixed (byte* b = buffer)
            {
                n = Libc.Recv(socket.Fd, b, (nuint)buffer.Length, Libc.MSG_DONTWAIT);
            }
            if (n < 0 && Libc.LastErrno is Libc.EAGAIN or Libc.EINTR)
            {
                continue;
            }
            if (n <= 0)
            {
                failure = status < 0 && head.Count == 0 ? $"the daemon on {path} closed the connection without answering"
                    : status < 0 ? $"the daemon on {path} sent an answer ucarpctl does not understand"
                    : $"the daemon on {path} closed the connection";
                break;
            }
            ReadOnlySpan<byte> got = buffer.AsSpan(0, (int)n);
            if (status < 0)
            {
                // The status line comes first; what follows it is the stream itself.
                int newline = got.IndexOf((byte)'\n');
                head.AddRange((newline < 0 ? got : got[..(newline + 1)]).ToArray());
                if (newline < 0 && head.Count <= 4)
                {
                    continue;
                }
                if (!ControlFraming.TryDecodeReply([.. head], out status, out _))
                {
                    failure = $"the daemon on {path} sent an answer ucarpctl does not understand";
                    break;
                }
                got = got[(newline + 1)..];
                if (status != 0)
                {
                    // Refused (too many watchers): the rest is its reason, then the daemon closes.
                    output = errors;
                }
            }
            try
            {
                output.Write(got);
                output.Flush();
            }
            catch (IOException)
            {
                return 0;   // the reader went away (`ucarpctl watch | head -1`): done, as a pipe's writer would be
            }
        }
        if (failure is not null && status <= 0)
        {
            errors.Write(CStrings.Bytes("ucarpctl: " + failure + "\n"));
            return 1;
        }
        return status;
    }
}
