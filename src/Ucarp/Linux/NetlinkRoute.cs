using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// One rtnetlink socket and its requests: each is sent with NLM_F_ACK and waits, a second
/// at most, for the kernel's acknowledgement, keeping the answer a GET request asks for.
/// --manage-addresses (NetlinkAddresses) and --vmac (MacvlanLinks) speak through it.
/// </summary>
internal sealed class NetlinkRoute : IDisposable
{
    // The kernel answers at once; a bound keeps a wedged kernel from holding the caller.
    const long AckTimeoutNs = 1_000_000_000;
    const int BufferSize = 32 * 1024;   // one link's description (with its statistics) and an ack

    // One receive buffer per thread, kept: a socket is made per role change (every group's
    // addresses at start), and a buffer per socket was 32 KiB of garbage each time, which a
    // --config daemon of 255 groups kept as several MiB of heap.
    [ThreadStatic]
    static byte[]? t_buffer;

    readonly FileDescriptor? _fd;
    readonly SysError _openError;
    uint _seq;

    public NetlinkRoute()
    {
        int fd = Libc.Socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, Libc.NETLINK_ROUTE);
        _openError = fd < 0 ? SysError.Last() : SysError.None;
        _fd = fd < 0 ? null : new FileDescriptor(fd);
    }

    /// <summary>
    /// A non-blocking rtnetlink socket that hears the kernel's notifications of
    /// <paramref name="groups"/> (RTMGRP_*): what the address and link watchers read.
    /// </summary>
    public static unsafe bool TrySubscribe(uint groups, out FileDescriptor? socket, out SysError error)
    {
        socket = null;
        int fd = Libc.Socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC | Libc.SOCK_NONBLOCK, Libc.NETLINK_ROUTE);
        if (fd < 0)
        {
            error = SysError.Last();
            return false;
        }
        var owned = new FileDescriptor(fd);
        var local = new SockAddrNl { Family = Libc.AF_NETLINK, Groups = groups };
        if (Libc.Bind(fd, &local, (uint)sizeof(SockAddrNl)) < 0)
        {
            error = SysError.Last();
            owned.Dispose();
            return false;
        }
        error = SysError.None;
        socket = owned;
        return true;
    }

    /// <summary>Tests: a receive buffer of <paramref name="bytes"/> (the kernel doubles it, and keeps a floor), too small for a batch's acks.</summary>
    internal unsafe void LimitReceiveBuffer(int bytes)
    {
        if (_fd is not null)
        {
            Libc.SetSockOpt(_fd.Fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, &bytes, sizeof(int));
        }
    }

    /// <summary>Whether the socket was made.</summary>
    public bool IsOpen => _fd is not null;

    /// <summary>The sequence number the next request is to carry.</summary>
    public uint NextSeq() => ++_seq;

    /// <summary>
    /// Sends <paramref name="request"/> (its sequence number from <see cref="NextSeq"/>) and
    /// waits for its ack. False with the kernel's errno, or why no answer came. A message
    /// of the same sequence before the ack (a GET's answer) is put in <paramref name="answer"/>.
    /// </summary>
    public unsafe bool TryAsk(ReadOnlySpan<byte> request, out SysError error, out byte[]? answer)
    {
        answer = null;
        if (_fd is null)
        {
            error = _openError;
            return false;
        }
        if (request.Length < sizeof(NlMsgHdr))
        {
            error = new SysError(Libc.EINVAL);
            return false;
        }
        if (!TrySend(request, out error))
        {
            return false;
        }
        fixed (byte* message = request)
        {
            return TryAwaitAck(((NlMsgHdr*)message)->Seq, out error, out answer);
        }
    }

    /// <summary>
    /// Sends <paramref name="requests"/>, several messages in one datagram whose sequence
    /// numbers run from <paramref name="firstSeq"/>, one each in order, every one asking for
    /// its ack; then waits, a second at most in all, for the acks. The i-th message's is
    /// <paramref name="errors"/>[i] (None: done), <paramref name="answered"/>[i] true; a
    /// failed send is every message's error. The kernel runs a datagram's messages one after
    /// another, each with its own ack, before the send returns: one system call for a
    /// batch where each request waited for its own answer. An ack the receive buffer had
    /// no room for is lost (the socket's error is ENOBUFS): its message stays unanswered,
    /// for the caller to ask again alone.
    /// </summary>
    public unsafe void AskAll(ReadOnlySpan<byte> requests, uint firstSeq, Span<SysError> errors, Span<bool> answered)
    {
        answered.Clear();
        SysError sendError = _openError;
        if (_fd is null || !TrySend(requests, out sendError))
        {
            errors.Fill(sendError);
            answered.Fill(true);
            return;
        }
        int left = errors.Length;
        long deadline = MonotonicClock.NowMicroseconds + AckTimeoutNs / 1000;
        fixed (byte* buffer = t_buffer ??= new byte[BufferSize])
        {
            bool lost = false;
            while (left > 0)
            {
                // Once acks are known lost, what is still queued is read, and no more waited for.
                if (!TryReceive(buffer, lost ? 0 : deadline, out nint received, out SysError error))
                {
                    if (error.Errno == Libc.ENOBUFS && !lost)
                    {
                        lost = true;
                        continue;
                    }
                    break;
                }
                for (int offset = 0; NextMessage(buffer, received, ref offset, out NlMsgHdr header, out int at);)
                {
                    uint index = header.Seq - firstSeq;
                    if (header.Type == Libc.NLMSG_ERROR && index < (uint)errors.Length && !answered[(int)index]
                        && header.Length >= sizeof(NlMsgHdr) + sizeof(int))
                    {
                        errors[(int)index] = new SysError(-*(int*)(buffer + at + sizeof(NlMsgHdr)));
                        answered[(int)index] = true;
                        left--;
                    }
                }
            }
        }
    }

    unsafe bool TrySend(ReadOnlySpan<byte> message, out SysError error)
    {
        var kernel = new SockAddrNl { Family = Libc.AF_NETLINK };
        fixed (byte* bytes = message)
        {
            if (Libc.SendTo(_fd!.Fd, bytes, (nuint)message.Length, 0, &kernel, (uint)sizeof(SockAddrNl)) < 0)
            {
                error = SysError.Last();
                return false;
            }
        }
        error = SysError.None;
        return true;
    }

    /// <summary>
    /// One datagram into <paramref name="buffer"/>, waiting until <paramref name="deadline"/>
    /// (monotonic µs) when none is queued: false with why none came (ETIMEDOUT at the
    /// deadline, ENOBUFS when acks were lost).
    /// </summary>
    unsafe bool TryReceive(byte* buffer, long deadline, out nint received, out SysError error)
    {
        while (true)
        {
            // The kernel answered before the send returned: what is queued is read without a wait.
            received = Libc.Recv(_fd!.Fd, buffer, BufferSize, Libc.MSG_DONTWAIT);
            if (received >= 0)
            {
                error = SysError.None;
                return true;
            }
            error = SysError.Last();
            if (error.Errno == Libc.EINTR)
            {
                continue;
            }
            if (error.Errno != Libc.EAGAIN)
            {
                return false;
            }
            long left = deadline - MonotonicClock.NowMicroseconds;
            if (left <= 0)
            {
                error = new SysError(Libc.ETIMEDOUT);
                return false;
            }
            var poll = new PollFd { Fd = _fd.Fd, Events = Libc.POLLIN };
            var timeout = new TimeSpec { Seconds = left / 1_000_000, Nanoseconds = left % 1_000_000 * 1000 };
            if (Libc.PPoll(&poll, 1, &timeout, null) < 0 && Libc.LastErrno != Libc.EINTR)
            {
                error = SysError.Last();
                return false;
            }
        }
    }

    /// <summary>The next message of a datagram of <paramref name="received"/> bytes at <paramref name="offset"/>, trusting no length: its header and where it starts.</summary>
    static unsafe bool NextMessage(byte* buffer, nint received, ref int offset, out NlMsgHdr header, out int at)
    {
        at = offset;
        header = default;
        if (received - offset < sizeof(NlMsgHdr))
        {
            return false;
        }
        header = *(NlMsgHdr*)(buffer + offset);
        if (header.Length < sizeof(NlMsgHdr) || header.Length > received - offset)
        {
            return false;
        }
        offset += (int)((header.Length + 3) & ~3u);
        return true;
    }

    /// <summary>False with the ack's errno, or why none came.</summary>
    unsafe bool TryAwaitAck(uint seq, out SysError error, out byte[]? answer)
    {
        answer = null;
        long deadline = MonotonicClock.NowMicroseconds + AckTimeoutNs / 1000;
        fixed (byte* buffer = t_buffer ??= new byte[BufferSize])
        {
            while (true)
            {
                if (!TryReceive(buffer, deadline, out nint received, out error))
                {
                    return false;
                }
                for (int offset = 0; NextMessage(buffer, received, ref offset, out NlMsgHdr header, out int at);)
                {
                    if (header.Type == Libc.NLMSG_ERROR && header.Seq == seq && header.Length >= sizeof(NlMsgHdr) + sizeof(int))
                    {
                        // nlmsgerr's error: 0 for an ack, else -errno.
                        error = new SysError(-*(int*)(buffer + at + sizeof(NlMsgHdr)));
                        return error.Errno == 0;
                    }
                    if (header.Seq == seq && header.Type != Libc.NLMSG_ERROR)
                    {
                        answer = t_buffer.AsSpan(at, (int)header.Length).ToArray();
                    }
                }
            }
        }
    }

    public void Dispose() => _fd?.Dispose();
}
