using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Ucarp.Core;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// --peer: a raw socket for protocol 112 that sends each advert to every peer through
/// the kernel's routing (so a peer may sit behind routers), with our own IP header
/// (IP_HDRINCL, or IPV6_HDRINCL for IPv6: hop limit 255 and the source address as we
/// build them). Adverts are still read from the interface's packet socket. This socket
/// reads nothing (its filter drops all), but its existence stops the kernel from
/// answering every advert addressed to us with an ICMP "protocol unreachable" (ICMPv6
/// "unrecognized next header").
/// </summary>
internal sealed class UnicastSocket : IDisposable
{
    const int SockAddrIn6Size = 28;

    readonly FileDescriptor _fd;
    readonly IpAddress[] _peers;
    readonly int _ifIndex;
    readonly byte[] _packet = new byte[UnicastAdvert.MaxSize];

    /// <summary>VRRPv3 over IPv4 with --vrrp-checksum=rfc: the adverts carry no pseudo-header sum to redo per peer.</summary>
    bool PlainChecksum { get; init; }

    UnicastSocket(FileDescriptor fd, IpAddress[] peers, int ifIndex)
    {
        _fd = fd;
        _peers = peers;
        _ifIndex = ifIndex;
    }

    /// <summary>The socket for the peers, or false with the failed step named (socket, setsockopt).</summary>
    /// <param name="ifIndex">The interface: the scope of link-local IPv6 peers.</param>
    public static unsafe bool TryOpen(IReadOnlyList<IpAddress> peers, int ifIndex, [NotNullWhen(true)] out UnicastSocket? socket, out SysError error,
                                      bool plainChecksum = false)
    {
        socket = null;
        bool ipv6 = peers[0].IsV6;
        int fd = Libc.Socket(ipv6 ? Libc.AF_INET6 : Libc.AF_INET, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC | Libc.SOCK_NONBLOCK, CarpHeader.Protocol);
        if (fd < 0)
        {
            error = SysError.Last("socket");
            return false;
        }
        var handle = new FileDescriptor(fd);
        int one = 1;
        SockFilter* dropAll = stackalloc SockFilter[1];
        dropAll[0] = new SockFilter(0x06, 0, 0, 0); // ret 0
        var program = new SockFprog { Length = 1, Filter = dropAll };
        int headerLevel = ipv6 ? Libc.IPPROTO_IPV6 : Libc.IPPROTO_IP;
        int headerOption = ipv6 ? Libc.IPV6_HDRINCL : Libc.IP_HDRINCL;
        if (Libc.SetSockOpt(fd, headerLevel, headerOption, &one, sizeof(int)) != 0
            || Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_ATTACH_FILTER, &program, (uint)sizeof(SockFprog)) != 0)
        {
            error = SysError.Last("setsockopt");
            handle.Dispose();
            return false;
        }
        socket = new UnicastSocket(handle, Lists.ToArray(peers), ifIndex) { PlainChecksum = plainChecksum };
        error = SysError.None;
        return true;
    }

    /// <summary>Sends the advert to every peer; false when one failed, with the first failure and its peer.</summary>
    public unsafe bool TrySend(ReadOnlySpan<byte> frame, out SysError error, out IpAddress failedPeer)
    {
        bool sent = true;
        error = SysError.None;
        failedPeer = default;
        byte* address = stackalloc byte[SockAddrIn6Size]; // struct sockaddr_in or sockaddr_in6
        foreach (IpAddress peer in _peers)
        {
            int length = UnicastAdvert.Readdress(frame, peer, _packet, PlainChecksum);
            var sockaddr = new Span<byte>(address, SockAddrIn6Size);
            sockaddr.Clear();
            uint addressLength;
            if (peer.IsV6)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(sockaddr, (ushort)Libc.AF_INET6);
                peer.CopyTo(sockaddr[8..24]);
                if (peer[0] == 0xfe && (peer[1] & 0xc0) == 0x80)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(sockaddr[24..], _ifIndex); // fe80::/10 needs its link
                }
                addressLength = SockAddrIn6Size;
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(sockaddr, (ushort)Libc.AF_INET);
                peer.CopyTo(sockaddr[4..8]);
                addressLength = 16;
            }
            nint n;
            do
            {
                fixed (byte* p = _packet)
                {
                    n = Libc.SendTo(_fd.Fd, p, (nuint)length, 0, address, addressLength);
                }
            }
            while (n < 0 && Libc.LastErrno == Libc.EINTR);
            if (n < 0 && sent)
            {
                error = SysError.Last();
                failedPeer = peer;
                sent = false;
            }
        }
        return sent;
    }

    public void Dispose() => _fd.Dispose();
}
