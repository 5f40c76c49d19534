using System.Buffers.Binary;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// --peer: a raw IPv4 socket for protocol 112 that sends each advert to every peer
/// through the kernel's routing (so a peer may sit behind routers), with our own IP
/// header (IP_HDRINCL: TTL 255 and the source address as ucarp builds them). Adverts are
/// still read from the interface's packet socket. This socket reads nothing (its filter
/// drops all), but its existence stops the kernel from answering every advert addressed
/// to us with an ICMP "protocol unreachable".
/// </summary>
internal sealed class UnicastSocket : IDisposable
{
    readonly FileDescriptor _fd;
    readonly IPv4[] _peers;
    readonly byte[] _packet = new byte[UnicastAdvert.Size];

    UnicastSocket(FileDescriptor fd, IPv4[] peers)
    {
        _fd = fd;
        _peers = peers;
    }

    public static unsafe UnicastSocket? Open(IReadOnlyList<IPv4> peers, out string error)
    {
        error = "";
        int fd = Libc.Socket(Libc.AF_INET, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC | Libc.SOCK_NONBLOCK, CarpHeader.Protocol);
        if (fd < 0)
        {
            error = "socket: " + Libc.StrError(Libc.LastErrno);
            return null;
        }
        var handle = new FileDescriptor(fd);
        int one = 1;
        SockFilter* dropAll = stackalloc SockFilter[1];
        dropAll[0] = new SockFilter(0x06, 0, 0, 0); // ret 0
        var program = new SockFprog { Length = 1, Filter = dropAll };
        if (Libc.SetSockOpt(fd, Libc.IPPROTO_IP, Libc.IP_HDRINCL, &one, sizeof(int)) != 0
            || Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_ATTACH_FILTER, &program, (uint)sizeof(SockFprog)) != 0)
        {
            error = "setsockopt: " + Libc.StrError(Libc.LastErrno);
            handle.Dispose();
            return null;
        }
        return new UnicastSocket(handle, [.. peers]);
    }

    /// <summary>Sends the advert to every peer; null when all went out, else the first failure, naming its peer.</summary>
    public unsafe string? Send(ReadOnlySpan<byte> frame)
    {
        string? firstError = null;
        byte* address = stackalloc byte[16]; // struct sockaddr_in
        foreach (IPv4 peer in _peers)
        {
            UnicastAdvert.Readdress(frame, peer, _packet);
            new Span<byte>(address, 16).Clear();
            BinaryPrimitives.WriteUInt16LittleEndian(new Span<byte>(address, 2), (ushort)Libc.AF_INET);
            peer.CopyTo(new Span<byte>(address + 4, 4));
            nint n;
            do
            {
                fixed (byte* p = _packet)
                {
                    n = Libc.SendTo(_fd.Fd, p, (nuint)_packet.Length, 0, address, 16);
                }
            }
            while (n < 0 && Libc.LastErrno == Libc.EINTR);
            if (n < 0 && firstError is null)
            {
                firstError = Core.Logging.Messages.PeerSendFailed(Libc.StrError(Libc.LastErrno), peer.ToString());
            }
        }
        return firstError;
    }

    public void Dispose() => _fd.Dispose();
}
