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
    readonly NetlinkRoute _netlink = new();

    /// <summary>False with the kernel's errno (EEXIST: already there). <paramref name="prefixLength"/>: a host route's unless given.</summary>
    public bool TryAdd(int ifIndex, IpAddress address, out SysError error, int prefixLength = 0) =>
        TryRequest(Libc.RTM_NEWADDR, Libc.NLM_F_CREATE | Libc.NLM_F_EXCL, ifIndex, address, out error, prefixLength);

    /// <summary>False with the kernel's errno (EADDRNOTAVAIL: already gone).</summary>
    public bool TryRemove(int ifIndex, IpAddress address, out SysError error) => TryRequest(Libc.RTM_DELADDR, 0, ifIndex, address, out error);

    unsafe bool TryRequest(ushort type, int flags, int ifIndex, IpAddress address, out SysError error, int prefixLength = 0)
    {
        int addressLength = address.IsV6 ? 16 : 4;
        int attrLength = sizeof(RtAttr) + addressLength;      // 4 or 16 bytes: already aligned to 4
        int length = sizeof(NlMsgHdr) + sizeof(IfAddrMsg) + 2 * attrLength;
        byte* message = stackalloc byte[length];
        new Span<byte>(message, length).Clear();
        *(NlMsgHdr*)message = new NlMsgHdr
        {
            Length = (uint)length,
            Type = type,
            Flags = (ushort)(Libc.NLM_F_REQUEST | Libc.NLM_F_ACK | flags),
            Seq = _netlink.NextSeq(),
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
        return _netlink.TryAsk(new ReadOnlySpan<byte>(message, length), out error, out _);
    }

    public void Dispose() => _netlink.Dispose();
}
