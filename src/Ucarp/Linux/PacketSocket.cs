using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Ucarp.Core;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// An AF_PACKET raw socket bound to one interface: full Ethernet frames out, and in,
/// only what the kernel filter lets through (IPv4, protocol 112, not from our address),
/// which is the pcap rule ucarp compiles: "proto 112 and src host not SRCIP". For an
/// IPv6 daemon the same rule on the IPv6 header: next header 112, source not ours. Its
/// groups then narrow it to their vhids (<see cref="TrySetFilter"/>, AdvertFilter). The
/// frames that pass are read from a <see cref="ReceiveRing"/> the kernel writes them into.
/// </summary>
internal sealed class PacketSocket : IDisposable
{
    const int ReceiveBuffer = 4 << 20;

    /// <summary>
    /// Frames handed out at a time: the ring's slots held until <see cref="Release"/>. A
    /// flood's frames are read once a millisecond (see InterfaceInput), 70 at 70,000 a second.
    /// </summary>
    public const int Batch = 64;
    const int FrameRoom = 1536;   // an Ethernet frame (1514) and some; only 1500 bytes are ever looked at

    readonly FileDescriptor _fd;
    readonly ReceiveRing? _ring;

    // The batch handed out: where each frame starts (in the ring, or in the thread's copy
    // buffer for a frame that came whole by the queue) and its length. One set per thread,
    // made at its first read and kept, shared by every socket that thread reads (the loop
    // reads one socket at a time and is done with a batch's frames before it reads the next).
    [ThreadStatic] static unsafe byte** t_starts;
    [ThreadStatic] static unsafe int* t_lengths;
    [ThreadStatic] static unsafe byte* t_copy;

    PacketSocket(FileDescriptor fd, int ifIndex, ushort protocol, ReceiveRing? ring = null)
    {
        _fd = fd;
        _ring = ring;
        IfIndex = ifIndex;
        Protocol = protocol;
    }

    /// <summary>The interface it is bound to, and its frames' ethertype (network order): where a frame of it goes by <see cref="TryOpenSender"/>'s socket.</summary>
    public int IfIndex { get; }
    public ushort Protocol { get; }

    /// <summary>Bytes of its receive ring (none for a socket that takes nothing in).</summary>
    public int RingBytes => _ring?.Bytes ?? 0;

    /// <summary>The thread's batch arrays, outside the managed heap, made at its first read: reading a batch allocates nothing after that.</summary>
    static unsafe void EnsureBatchArrays()
    {
        if (t_starts is null)
        {
            t_lengths = (int*)NativeMemory.AllocZeroed((nuint)(Batch * sizeof(int)));
            t_copy = (byte*)NativeMemory.Alloc(FrameRoom);
            t_starts = (byte**)NativeMemory.AllocZeroed((nuint)(Batch * sizeof(byte*)));
        }
    }

    public int Fd => _fd.Fd;

    /// <param name="receive">False: a send-only socket (etcd mode), whose filter takes nothing in.</param>
    public static bool TryOpen(int ifIndex, IpAddress source, [NotNullWhen(true)] out PacketSocket? socket, out SysError error, bool receive = true,
                               int ringSlots = ReceiveRing.InStep) =>
        TryOpen(ifIndex, source.IsV6, [source], out socket, out error, receive, ringSlots);

    /// <summary>
    /// One socket for every group of an interface and family: frames from none of <paramref name="sources"/>,
    /// read through a ring of <paramref name="ringSlots"/> frames (<see cref="ReceiveRing.SlotsFor"/>).
    /// False with the failed step named (socket, SO_ATTACH_FILTER, PACKET_RX_RING, bind), as libpcap's message names it.
    /// </summary>
    public static unsafe bool TryOpen(int ifIndex, bool v6, IReadOnlyList<IpAddress> sources, [NotNullWhen(true)] out PacketSocket? socket,
                                      out SysError error, bool receive = true, int ringSlots = ReceiveRing.InStep)
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
        ReceiveRing? ring = null;
        if (receive && !ReceiveRing.TryCreate(fd, ringSlots, out ring, out error))
        {
            handle.Dispose();
            return false;
        }
        // Frames longer than a ring slot come whole by the queue (ReceiveRing): room for a
        // few thousand of them, so that a flood of long frames does not cut the real
        // master's adverts. Only what waits there is charged. FORCE works for root past
        // net.core.rmem_max; otherwise take what the limit allows.
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
            ring?.Dispose();
            handle.Dispose();
            return false;
        }
        socket = new PacketSocket(handle, ifIndex, address.Protocol, ring);
        return true;
    }

    /// <summary>
    /// A socket bound to no interface, that takes nothing in (protocol 0) and sends each
    /// frame where its sockaddr_ll names (interface and ethertype): AdvertBatch sends a
    /// pass's adverts on every interface with one sendmmsg through it. Its send buffer holds
    /// a full batch of frames in flight on a NIC that frees them only once sent.
    /// </summary>
    public static unsafe bool TryOpenSender(int sendBuffer, [NotNullWhen(true)] out PacketSocket? socket, out SysError error)
    {
        socket = null;
        int fd = Libc.Socket(Libc.AF_PACKET, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC | Libc.SOCK_NONBLOCK, 0);
        if (fd < 0)
        {
            error = SysError.Last("socket");
            return false;
        }
        if (Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUFFORCE, &sendBuffer, sizeof(int)) != 0)
        {
            Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUF, &sendBuffer, sizeof(int));
        }
        socket = new PacketSocket(new FileDescriptor(fd), 0, 0);
        error = SysError.None;
        return true;
    }

    /// <summary>The groups on the socket changed: the filter is replaced (atomically, by the kernel).</summary>
    public bool TrySetFilter(BpfInstruction[] program, out SysError error) => TryAttach(_fd.Fd, program, out error);

    static bool TryAttach(int fd, bool v6, IReadOnlyList<IpAddress> sources, bool receive, out SysError error) =>
        TryAttach(fd, receive ? AdvertFilter.Build(v6, sources, FilterRule.AnyVhid) : AdvertFilter.DropAll(), out error);

    static unsafe bool TryAttach(int fd, BpfInstruction[] program, out SysError error)
    {
        // BpfInstruction is struct sock_filter's layout; InteropLayoutTests holds them together.
        fixed (BpfInstruction* code = program)
        {
            var fprog = new SockFprog { Length = (ushort)program.Length, Filter = (SockFilter*)code };
            if (Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_ATTACH_FILTER, &fprog, (uint)sizeof(SockFprog)) != 0)
            {
                error = SysError.Last("SO_ATTACH_FILTER");
                return false;
            }
        }
        error = SysError.None;
        return true;
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
    /// Sends <paramref name="count"/> frames with one sendmmsg: <paramref name="sent"/> of
    /// them from the first (a failure ends the call early, and the next call starts with
    /// that frame); false, none sent, with the error of the first frame when it failed. A
    /// closed socket sends nothing (EBADF) rather than on a number another file may have now.
    /// </summary>
    public unsafe bool TrySendBatch(MMsgHdr* headers, int count, out int sent, out SysError error)
    {
        sent = 0;
        if (_disposed)
        {
            error = new SysError(Libc.EBADF);
            return false;
        }
        while (true)
        {
            int n = Libc.SendMmsg(_fd.Fd, headers, (uint)count, 0);
            if (n > 0)
            {
                sent = n;
                error = SysError.None;
                return true;
            }
            error = n < 0 ? SysError.Last() : new SysError(Libc.EAGAIN);
            if (error.Errno != Libc.EINTR)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Takes up to <see cref="Batch"/> waiting frames from the ring, oldest first: <paramref name="count"/>
    /// of them (0 when none waits); <see cref="Frame"/> gives each until <see cref="Release"/>.
    /// <paramref name="more"/>: others may wait (the batch is full, or it ended at a frame
    /// that came whole by the queue). False for a socket closed or without a ring.
    /// </summary>
    /// <remarks>
    /// A frame cut to its slot that did not also come by the queue (the receive buffer was
    /// full) is skipped: dropped, as a full buffer drops a frame, rather than handed on short.
    /// The socket can say it is readable a moment before the kernel marks the slot (it
    /// queues a long frame and moves on first; another CPU may fill the next slot sooner):
    /// the reader then finds nothing, and the next wait finds the frame.
    /// </remarks>
    public unsafe bool TryReceiveBatch(out int count, out bool more)
    {
        count = 0;
        more = false;
        _ring?.Release();
        if (_ring is null || _disposed)
        {
            return false;
        }
        EnsureBatchArrays();
        while (count < Batch)
        {
            byte* slot = _ring.TakeNext(out uint status);
            if (slot is null)
            {
                return true;
            }
            ReadOnlySpan<byte> inSlot = ReceiveRing.Frame(slot, out bool whole);
            if ((status & Libc.TP_STATUS_COPY) != 0)
            {
                // Cut to its slot; whole on the queue, in the ring's order. One per batch, in the thread's buffer.
                nint n = ReceiveWhole();
                if (n > 0)
                {
                    t_starts[count] = t_copy;
                    t_lengths[count] = (int)Math.Min(n, FrameRoom);
                    count++;
                    more = true;
                    return true;
                }
                whole = false;
            }
            if (!whole)
            {
                continue;   // held with the batch, released with it, never handed on
            }
            fixed (byte* start = inSlot)
            {
                t_starts[count] = start;
            }
            t_lengths[count] = inSlot.Length;
            count++;
        }
        more = true;
        return true;
    }

    /// <summary>
    /// The queued copy of a frame cut to its slot, into the thread's buffer: its length on
    /// the wire, or 0 when none came. A socket error waiting (ENETDOWN as the link goes) is
    /// returned, and cleared, before a queued frame: the frame is read by a second call, so
    /// the queue's copies stay paired with their slots. The link's loss reaches the groups
    /// by the link watcher.
    /// </summary>
    unsafe nint ReceiveWhole()
    {
        for (int attempt = 0; attempt < 2; attempt++)
        {
            nint n = Libc.Recv(_fd.Fd, t_copy, FrameRoom, Libc.MSG_DONTWAIT | Libc.MSG_TRUNC);
            if (n >= 0 || Libc.LastErrno == Libc.EAGAIN)
            {
                return Math.Max(n, 0);
            }
        }
        return 0;
    }

    /// <summary>Frames waiting in the ring, not taken (a look, for tests and diagnostics).</summary>
    public int FramesWaiting => _ring?.Waiting ?? 0;

    /// <summary>Gives the batch's ring slots back to the kernel: its frames are not read again.</summary>
    public void Release() => _ring?.Release();

    /// <summary>Frame <paramref name="i"/> of the last batch this thread took (of any socket).</summary>
    public unsafe ReadOnlySpan<byte> Frame(int i) => new(t_starts[i], t_lengths[i]);

    bool _disposed;

    /// <summary>Closed: a frame is not queued for it.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>
    /// Closes the socket; its ring goes once the frames handed out are released (they are
    /// being handled, and stay readable until then). A second call does nothing.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _fd.Dispose();
        _ring?.Dispose();
    }
}
