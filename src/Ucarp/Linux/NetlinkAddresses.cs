using Ucarp.Core.Cli;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>One address to add or remove on an interface (by index); <see cref="Error"/> is the kernel's answer once asked (None: changed).</summary>
internal struct AddressRequest(int ifIndex, IpAddress address, bool add)
{
    public readonly int IfIndex = ifIndex;
    public readonly IpAddress Address = address;
    public readonly bool Add = add;
    public SysError Error;
}

/// <summary>
/// --manage-addresses: adds and removes a group's addresses on its interface through
/// rtnetlink (RTM_NEWADDR / RTM_DELADDR), as "ip addr add ADDR/32 dev IF" (IPv6: /128
/// nodad) would. Each request waits for its ack; <see cref="ChangeAll"/> sends many in one
/// datagram.
/// </summary>
internal sealed class NetlinkAddresses : IDisposable
{
    /// <summary>
    /// Requests per datagram: their acks (each about 1 KiB of the socket's receive buffer,
    /// with the request echoed) fit in 16 KiB, far below the default buffer (212 KiB), and a
    /// batch holds its first answers back no longer than the kernel takes for 16 (about
    /// 2 ms with thousands of IPv6 addresses on the host).
    /// </summary>
    public const int PerDatagram = 16;

    // nlmsghdr, ifaddrmsg, IFA_LOCAL and IFA_ADDRESS of an IPv6 address: the longest request.
    const int LongestRequest = 16 + 8 + 2 * (4 + 16);

    readonly NetlinkRoute _netlink = new();
    readonly SysError[] _errors = new SysError[PerDatagram];

    public NetlinkAddresses() { }

    /// <summary>Tests: a socket whose receive buffer cannot hold a datagram's acks (see <see cref="ChangeAll"/>).</summary>
    internal NetlinkAddresses(int receiveBuffer) => _netlink.LimitReceiveBuffer(receiveBuffer);

    /// <summary>False with the kernel's errno (EEXIST: already there). <paramref name="prefixLength"/>: a host route's unless given.</summary>
    public bool TryAdd(int ifIndex, IpAddress address, out SysError error, int prefixLength = 0) =>
        TryRequest(Libc.RTM_NEWADDR, Libc.NLM_F_CREATE | Libc.NLM_F_EXCL, ifIndex, address, out error, prefixLength);

    /// <summary>False with the kernel's errno (EADDRNOTAVAIL: already gone).</summary>
    public bool TryRemove(int ifIndex, IpAddress address, out SysError error) => TryRequest(Libc.RTM_DELADDR, 0, ifIndex, address, out error);

    /// <summary>
    /// Every request made, in order, <see cref="PerDatagram"/> to a datagram; each one's
    /// answer in its <see cref="AddressRequest.Error"/>. The kernel runs a datagram's
    /// requests before the send returns, and queues their acks as it goes: when the receive
    /// buffer is full, the rest of them are lost, so the unanswered are the datagram's tail.
    /// They are asked again alone, in order, which replays that tail: each address ends as
    /// the last change asked for it says. Asked again, "already there" (EEXIST) for an
    /// addition and "already gone" (EADDRNOTAVAIL) for a removal are the first asking's
    /// doing, and the request is counted as made.
    /// </summary>
    public unsafe void ChangeAll(Span<AddressRequest> requests)
    {
        byte* messages = stackalloc byte[PerDatagram * LongestRequest];
        Span<bool> answered = stackalloc bool[PerDatagram];
        for (int first = 0; first < requests.Length; first += PerDatagram)
        {
            Span<AddressRequest> chunk = requests.Slice(first, Math.Min(PerDatagram, requests.Length - first));
            int length = 0;
            uint firstSeq = 0;
            for (int i = 0; i < chunk.Length; i++)
            {
                uint seq = _netlink.NextSeq();
                firstSeq = i == 0 ? seq : firstSeq;
                ref AddressRequest r = ref chunk[i];
                length += r.Add ? Write(messages + length, Libc.RTM_NEWADDR, Libc.NLM_F_CREATE | Libc.NLM_F_EXCL, r.IfIndex, r.Address, 0, seq)
                                : Write(messages + length, Libc.RTM_DELADDR, 0, r.IfIndex, r.Address, 0, seq);
            }
            Span<SysError> errors = _errors.AsSpan(0, chunk.Length);
            _netlink.AskAll(new ReadOnlySpan<byte>(messages, length), firstSeq, errors, answered[..chunk.Length]);
            for (int i = 0; i < chunk.Length; i++)
            {
                ref AddressRequest r = ref chunk[i];
                if (answered[i])
                {
                    r.Error = errors[i];
                    continue;
                }
                AskedAgain++;
                _ = r.Add ? TryAdd(r.IfIndex, r.Address, out r.Error) : TryRemove(r.IfIndex, r.Address, out r.Error);
                if (r.Error.Errno == (r.Add ? Libc.EEXIST : Libc.EADDRNOTAVAIL))
                {
                    r.Error = SysError.None;
                }
            }
            errors.Clear();   // no error's strings kept alive between batches
        }
    }

    /// <summary>Requests asked again alone because their ack was lost (tests).</summary>
    internal int AskedAgain { get; private set; }

    unsafe bool TryRequest(ushort type, int flags, int ifIndex, IpAddress address, out SysError error, int prefixLength = 0)
    {
        byte* message = stackalloc byte[LongestRequest];
        int length = Write(message, type, flags, ifIndex, address, prefixLength, _netlink.NextSeq());
        return _netlink.TryAsk(new ReadOnlySpan<byte>(message, length), out error, out _);
    }

    /// <summary>One request at <paramref name="message"/> (room for <see cref="LongestRequest"/> bytes); its length.</summary>
    static unsafe int Write(byte* message, ushort type, int flags, int ifIndex, IpAddress address, int prefixLength, uint seq)
    {
        int addressLength = address.IsV6 ? 16 : 4;
        int attrLength = sizeof(RtAttr) + addressLength;      // 4 or 16 bytes: already aligned to 4
        int length = sizeof(NlMsgHdr) + sizeof(IfAddrMsg) + 2 * attrLength;
        new Span<byte>(message, length).Clear();
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
            PrefixLen = (byte)(prefixLength != 0 ? prefixLength : addressLength * 8),
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
        return length;
    }

    /// <summary>False when the rtnetlink socket could not be made (every request fails with why): the owner makes a new one.</summary>
    public bool IsOpen => _netlink.IsOpen;

    public void Dispose() => _netlink.Dispose();
}
