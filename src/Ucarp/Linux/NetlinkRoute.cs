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
        var kernel = new SockAddrNl { Family = Libc.AF_NETLINK };
        fixed (byte* message = request)
        {
            if (Libc.SendTo(_fd.Fd, message, (nuint)request.Length, 0, &kernel, (uint)sizeof(SockAddrNl)) < 0)
            {
                error = SysError.Last();
                return false;
            }
            return TryAwaitAck(((NlMsgHdr*)message)->Seq, out error, out answer);
        }
    }

    /// <summary>False with the ack's errno, or why none came.</summary>
    unsafe bool TryAwaitAck(uint seq, out SysError error, out byte[]? answer)
    {
        answer = null;
        fixed (byte* buffer = t_buffer ??= new byte[BufferSize])
        {
            while (true)
            {
                var poll = new PollFd { Fd = _fd!.Fd, Events = Libc.POLLIN };
                var timeout = new TimeSpec { Seconds = AckTimeoutNs / 1_000_000_000, Nanoseconds = AckTimeoutNs % 1_000_000_000 };
                int ready = Libc.PPoll(&poll, 1, &timeout, null);
                if (ready < 0 && Libc.LastErrno == Libc.EINTR)
                {
                    continue;
                }
                if (ready <= 0)
                {
                    error = ready < 0 ? SysError.Last() : new SysError(Libc.ETIMEDOUT);
                    return false;
                }
                nint received = Libc.Recv(_fd.Fd, buffer, BufferSize, Libc.MSG_DONTWAIT);
                if (received < 0)
                {
                    error = SysError.Last();
                    if (error.Errno is Libc.EINTR or Libc.EAGAIN)
                    {
                        continue;
                    }
                    return false;
                }
                // Walk the messages of the datagram, trusting no length.
                int offset = 0;
                while (received - offset >= sizeof(NlMsgHdr))
                {
                    NlMsgHdr header = *(NlMsgHdr*)(buffer + offset);
                    if (header.Length < sizeof(NlMsgHdr) || header.Length > received - offset)
                    {
                        break;
                    }
                    if (header.Type == Libc.NLMSG_ERROR && header.Seq == seq && header.Length >= sizeof(NlMsgHdr) + sizeof(int))
                    {
                        // nlmsgerr's error: 0 for an ack, else -errno.
                        error = new SysError(-*(int*)(buffer + offset + sizeof(NlMsgHdr)));
                        return error.Errno == 0;
                    }
                    if (header.Seq == seq && header.Type != Libc.NLMSG_ERROR)
                    {
                        answer = t_buffer.AsSpan(offset, (int)header.Length).ToArray();
                    }
                    offset += (int)((header.Length + 3) & ~3u);
                }
            }
        }
    }

    public void Dispose() => _fd?.Dispose();
}
