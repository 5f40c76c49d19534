using System.Runtime.InteropServices;
using Ucarp.Core.Cli;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// --manage-addresses: adds and removes a group's addresses on its interface through
/// rtnetlink (RTM_NEWADDR / RTM_DELADDR), as "ip addr add ADDR/32 dev IF" (IPv6: /128
/// nodad) would. One socket per change of role; each request waits for its ack.
/// </summary>
internal sealed class NetlinkAddresses : IDisposable
{
    // The kernel answers at once; a bound keeps a wedged kernel from holding the loop.
    const long AckTimeoutNs = 1_000_000_000;

    readonly FileDescriptor? _fd;
    readonly SysError _openError;
    uint _seq;

    public NetlinkAddresses()
    {
        int fd = Libc.Socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, Libc.NETLINK_ROUTE);
        _openError = fd < 0 ? SysError.Last() : SysError.None;
        _fd = fd < 0 ? null : new FileDescriptor(fd);
    }

    /// <summary>False with the kernel's errno (EEXIST: already there).</summary>
    public bool TryAdd(int ifIndex, IpAddress address, out SysError error) =>
        TryRequest(Libc.RTM_NEWADDR, Libc.NLM_F_CREATE | Libc.NLM_F_EXCL, ifIndex, address, out error);

    /// <summary>False with the kernel's errno (EADDRNOTAVAIL: already gone).</summary>
    public bool TryRemove(int ifIndex, IpAddress address, out SysError error) => TryRequest(Libc.RTM_DELADDR, 0, ifIndex, address, out error);

    unsafe bool TryRequest(ushort type, int flags, int ifIndex, IpAddress address, out SysError error)
    {
        if (_fd is null)
        {
            error = _openError;
            return false;
        }
        int addressLength = address.IsV6 ? 16 : 4;
        int attrLength = sizeof(RtAttr) + addressLength;      // 4 or 16 bytes: already aligned to 4
        int length = sizeof(NlMsgHdr) + sizeof(IfAddrMsg) + 2 * attrLength;
        byte* message = stackalloc byte[length];
        new Span<byte>(message, length).Clear();
        uint seq = ++_seq;
        *(NlMsgHdr*)message = new NlMsgHdr
        {
            Length = (uint)length,
            Type = type,
            Flags = (ushort)(Libc.NLM_F_REQUEST | Libc.NLM_F_ACK | flags),
            Seq = seq,
        };
        *(IfAddrMsg*)(message + sizeof(NlMsgHdr)) = new IfAddrMsg
        {
            Family = (byte)(address.IsV6 ? Libc.AF_INET6 : Libc.AF_INET),
            PrefixLen = (byte)(addressLength * 8),
            // IPv6: no duplicate address detection, which would keep a moving address
            // "tentative" for a second; CARP has decided this host alone holds it.
            Flags = address.IsV6 ? Libc.IFA_F_NODAD : (byte)0,
            Scope = Libc.RT_SCOPE_UNIVERSE,
            Index = ifIndex,
        };
        byte* attr = message + sizeof(NlMsgHdr) + sizeof(IfAddrMsg);
        foreach (ushort attrType in (ReadOnlySpan<ushort>)[Libc.IFA_LOCAL, Libc.IFA_ADDRESS])
        {
            *(RtAttr*)attr = new RtAttr { Length = (ushort)attrLength, Type = attrType };
            address.CopyTo(new Span<byte>(attr + sizeof(RtAttr), addressLength));
            attr += attrLength;
        }
        var kernel = new SockAddrNl { Family = Libc.AF_NETLINK };
        if (Libc.SendTo(_fd.Fd, message, (nuint)length, 0, &kernel, (uint)sizeof(SockAddrNl)) < 0)
        {
            error = SysError.Last();
            return false;
        }
        return TryAwaitAck(seq, out error);
    }

    /// <summary>False with the ack's errno, or why none came.</summary>
    unsafe bool TryAwaitAck(uint seq, out SysError error)
    {
        const int BufferSize = 1024;   // an error ack echoes the request: well under this
        byte* buffer = stackalloc byte[BufferSize];
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
                offset += (int)((header.Length + 3) & ~3u);
            }
        }
    }

    public void Dispose() => _fd?.Dispose();
}
