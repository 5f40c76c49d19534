using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Ucarp.Core;
using Ucarp.Core.Cli;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// An AF_PACKET raw socket bound to one interface: full Ethernet frames out, and in,
/// only what the kernel filter lets through (IPv4, protocol 112, not from our address),
/// which is the pcap rule ucarp compiles: "proto 112 and src host not SRCIP". For an
/// IPv6 daemon the same rule on the IPv6 header: next header 112, source not ours.
/// </summary>
internal sealed class PacketSocket : IDisposable
{
    const int ReceiveBuffer = 4 << 20;

    /// <summary>Frames read per system call: a flood costs a sixteenth of the calls.</summary>
    public const int Batch = 16;
    const int FrameRoom = 1536;   // an Ethernet frame (1514) and some; only 1500 bytes are ever looked at

    readonly FileDescriptor _fd;
    readonly unsafe byte* _frames;
    readonly unsafe IoVec* _iovecs;
    readonly unsafe MMsgHdr* _headers;

    unsafe PacketSocket(FileDescriptor fd)
    {
        _fd = fd;
        // Outside the managed heap and set up once: reading a batch allocates nothing.
        _frames = (byte*)NativeMemory.Alloc(Batch * FrameRoom);
        _iovecs = (IoVec*)NativeMemory.AllocZeroed((nuint)(Batch * sizeof(IoVec)));
        _headers = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(Batch * sizeof(MMsgHdr)));
        for (int i = 0; i < Batch; i++)
        {
            _iovecs[i] = new IoVec { Base = _frames + i * FrameRoom, Length = FrameRoom };
            _headers[i].Iov = &_iovecs[i];
            _headers[i].IovLength = 1;
        }
    }

    public int Fd => _fd.Fd;

    /// <param name="receive">False: a send-only socket (etcd mode), whose filter takes nothing in.</param>
    public static bool TryOpen(int ifIndex, IpAddress source, [NotNullWhen(true)] out PacketSocket? socket, out SysError error, bool receive = true) =>
        TryOpen(ifIndex, source.IsV6, [source], out socket, out error, receive);

    /// <summary>
    /// One socket for every group of an interface and family: frames from none of <paramref name="sources"/>.
    /// False with the failed step named (socket, SO_ATTACH_FILTER, bind), as libpcap's message names it.
    /// </summary>
    public static unsafe bool TryOpen(int ifIndex, bool v6, IReadOnlyList<IpAddress> sources, [NotNullWhen(true)] out PacketSocket? socket,
                                      out SysError error, bool receive = true)
    {
        socket = null;
        // Protocol 0 receives nothing until bind, so no frame slips in before the filter.
        int fd = Libc.Socket(Libc.AF_PACKET, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC | Libc.SOCK_NONBLOCK, 0);
        if (fd < 0)
        {
            error = SysError.Last("socket");
            return false;
        }
        var handle = new FileDescriptor(fd);
        if (!TryAttach(fd, v6, sources, receive, out error))
        {
            handle.Dispose();
            return false;
        }
        // Room for a few thousand frames: under a flood the real master's adverts must not
        // be dropped for want of space while a batch waits (see EventLoop). FORCE works
        // for root past net.core.rmem_max; otherwise take what the limit allows.
        int buffer = ReceiveBuffer;
        if (Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, &buffer, sizeof(int)) != 0)
        {
            Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, &buffer, sizeof(int));
        }
        // Our own adverts come back on a packet socket; the kernel can drop them for us
        // (Linux 4.20+). The filter drops them too, so failure here is harmless.
        int one = 1;
        Libc.SetSockOpt(fd, Libc.SOL_PACKET, Libc.PACKET_IGNORE_OUTGOING, &one, sizeof(int));

        var address = new SockAddrLl
        {
            Family = Libc.AF_PACKET,
            Protocol = Libc.HostToNetwork(v6 ? Libc.ETH_P_IPV6 : Libc.ETH_P_IP),
            IfIndex = ifIndex,
        };
        if (Libc.Bind(fd, &address, (uint)sizeof(SockAddrLl)) != 0)
        {
            error = SysError.Last("bind");
            handle.Dispose();
            return false;
        }
        socket = new PacketSocket(handle);
        return true;
    }

    /// <summary>A group with a new source address joined the socket: the filter is replaced (atomically, by the kernel).</summary>
    public bool TrySetSources(bool v6, IReadOnlyList<IpAddress> sources, out SysError error) => TryAttach(_fd.Fd, v6, sources, true, out error);

    // Sources the filter can name: its jumps are 8 bits. Past them only PACKET_IGNORE_OUTGOING
    // and the reader's own-address check drop our adverts, which is enough on any kernel since 4.20.
    const int MaxSources4 = 200, MaxSources6 = 24;
    const int MaxFilter = 4 + 8 * MaxSources6 + 2;

    static unsafe bool TryAttach(int fd, bool v6, IReadOnlyList<IpAddress> sources, bool receive, out SysError error)
    {
        SockFilter* program = stackalloc SockFilter[MaxFilter];
        int count = !receive ? DropAll(program)
            : v6 ? Filter6(Lists.Slice(sources, 0, Math.Min(sources.Count, MaxSources6)), program)
            : Filter(Lists.Slice(sources, 0, Math.Min(sources.Count, MaxSources4)), program);
        var fprog = new SockFprog { Length = (ushort)count, Filter = program };
        if (Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_ATTACH_FILTER, &fprog, (uint)sizeof(SockFprog)) != 0)
        {
            error = SysError.Last("SO_ATTACH_FILTER");
            return false;
        }
        error = SysError.None;
        return true;
    }

    static unsafe int DropAll(SockFilter* p)
    {
        p[0] = new SockFilter(0x06, 0, 0, 0); // ret 0
        return 1;
    }

    /// <summary>
    /// The IPv6 program: ethertype 0x86dd, next header 112 (an advert behind extension
    /// headers is not one: FreeBSD sends none), source none of ours (four words each).
    /// Returns its length.
    /// </summary>
    static unsafe int Filter6(IReadOnlyList<IpAddress> sources, SockFilter* p)
    {
        const ushort LdH = 0x28, LdB = 0x30, LdW = 0x20, JEq = 0x15, Ret = 0x06;
        int accept = 4 + 8 * sources.Count, drop = accept + 1;
        p[0] = new SockFilter(LdH, 0, 0, 12);                             // ethertype
        p[1] = new SockFilter(JEq, 0, (byte)(drop - 2), 0x86dd);          // IPv6, else drop
        p[2] = new SockFilter(LdB, 0, 0, 20);                             // next header
        p[3] = new SockFilter(JEq, 0, (byte)(drop - 4), 112);             // CARP, else drop
        Span<byte> src = stackalloc byte[16];
        for (int s = 0; s < sources.Count; s++)
        {
            sources[s].CopyTo(src);
            int block = 4 + 8 * s, next = block + 8;   // the next source's block, or accept after the last
            for (int word = 0; word < 4; word++)
            {
                // Word by word: the first that differs moves on to the next source; all four equal: ours, drop.
                int at = block + 2 * word + 1;
                p[at - 1] = new SockFilter(LdW, 0, 0, (uint)(22 + 4 * word));
                byte equal = (byte)(word == 3 ? drop - at - 1 : 0);
                p[at] = new SockFilter(JEq, equal, (byte)(next - at - 1), BinaryPrimitives.ReadUInt32BigEndian(src[(4 * word)..]));
            }
        }
        p[accept] = new SockFilter(Ret, 0, 0, 0x40000);                   // accept the whole frame
        p[drop] = new SockFilter(Ret, 0, 0, 0);                           // drop
        return drop + 1;
    }

    /// <summary>The classic BPF program: IPv4, protocol 112, source none of ours; returns its length.</summary>
    static unsafe int Filter(IReadOnlyList<IpAddress> sources, SockFilter* p)
    {
        const ushort LdH = 0x28, LdB = 0x30, LdW = 0x20, JEq = 0x15, Ret = 0x06;
        int accept = 5 + sources.Count, drop = accept + 1;
        Span<byte> src = stackalloc byte[4];
        p[0] = new SockFilter(LdH, 0, 0, 12);                             // ethertype
        p[1] = new SockFilter(JEq, 0, (byte)(drop - 2), 0x0800);          // IPv4, else drop
        p[2] = new SockFilter(LdB, 0, 0, 23);                             // IP protocol
        p[3] = new SockFilter(JEq, 0, (byte)(drop - 4), 112);             // CARP, else drop
        p[4] = new SockFilter(LdW, 0, 0, 26);                             // IP source
        for (int s = 0; s < sources.Count; s++)
        {
            sources[s].CopyTo(src);
            int at = 5 + s;
            p[at] = new SockFilter(JEq, (byte)(drop - at - 1), 0, BinaryPrimitives.ReadUInt32BigEndian(src)); // ours: drop
        }
        p[accept] = new SockFilter(Ret, 0, 0, 0x40000);                   // accept the whole frame
        p[drop] = new SockFilter(Ret, 0, 0, 0);                           // drop
        return drop + 1;
    }

    /// <summary>Sends one frame; false with the errno (what ucarp logs after "write() has failed: ").</summary>
    public unsafe bool TrySend(ReadOnlySpan<byte> frame, out SysError error)
    {
        while (true)
        {
            nint n;
            fixed (byte* p = frame)
            {
                n = Libc.Send(_fd.Fd, p, (nuint)frame.Length, 0);
            }
            if (n >= 0)
            {
                error = SysError.None;
                return true;
            }
            error = SysError.Last();
            if (error.Errno != Libc.EINTR)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Reads up to <see cref="Batch"/> waiting frames with one recvmmsg: <paramref name="count"/>
    /// of them (0 when none waits), or false on an error; <see cref="Frame"/> gives each.
    /// </summary>
    public unsafe bool TryReceiveBatch(out int count, out SysError error)
    {
        count = Libc.RecvMmsg(_fd.Fd, _headers, Batch, Libc.MSG_DONTWAIT, null);
        error = count >= 0 ? SysError.None : SysError.Last();
        if (count >= 0)
        {
            return true;
        }
        count = 0;
        // Nothing waiting, or a signal came first: no frames, and no failure.
        if (error.Errno is Libc.EAGAIN or Libc.EINTR)
        {
            error = SysError.None;
            return true;
        }
        return false;
    }

    /// <summary>Frame <paramref name="i"/> of the last batch.</summary>
    public unsafe ReadOnlySpan<byte> Frame(int i) => new(_frames + i * FrameRoom, (int)Math.Min(_headers[i].Length, FrameRoom));

    bool _disposed;

    /// <summary>Closes the socket and frees its buffers; a second call does nothing.</summary>
    public unsafe void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _fd.Dispose();
        NativeMemory.Free(_frames);
        NativeMemory.Free(_iovecs);
        NativeMemory.Free(_headers);
    }
}
