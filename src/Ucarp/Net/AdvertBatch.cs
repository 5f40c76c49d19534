using System.Runtime.InteropServices;
using Ucarp.Core.Carp;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Net;

/// <summary>
/// The adverts the groups' timers send in one pass, sent when the timers are done with one
/// sendmmsg instead of one send each (a --config daemon's groups start in slots, so a
/// slot's groups are due together: 255 groups, 255 frames a pass; 4,080, about 128). Each frame's result goes back to its election (<see cref="IAdvertSender"/>)
/// in the same pass, so write errors are logged and counted exactly as one at a time;
/// the bytes and their order on each interface are those the groups built.
/// Open only while <see cref="GroupTimers"/> dispatches and only with more than one group:
/// a plain command line sends each advert at once, as ucarp does. A full batch refuses
/// more (the caller sends at once) rather than sending in the middle of an election's step.
/// The frames of every interface leave by one sendmmsg through a socket bound to none,
/// each addressed to its interface (<see cref="PacketSocket.TryOpenSender"/>): a start slot's
/// groups are spread over the interfaces, and a system call per interface was most of
/// what a pass cost the kernel (16 calls of four frames each, 1,000 a second at 4,080
/// groups). Where that socket cannot be made, or its buffer is full (a link that stalls
/// while its carrier stays up holds its frames), each interface's socket sends its own, as
/// before: a stalled link then fails its own groups' adverts, not every interface's.
/// </summary>
internal sealed unsafe class AdvertBatch : IDisposable
{
    const int Capacity = 256;          // frames in one pass; more are sent one by one
    const int ArenaBytes = 32 << 10;   // CARP frames are 70/90 bytes: 256 of them fit with room for VRRP's larger ones
    const int SendBuffer = Capacity * 4096;   // a full batch in flight, each frame's buffer counted at its size in memory

    struct Entry
    {
        public PacketSocket Socket;
        public IAdvertSender Sender;
        public int Offset, Length;
        public string? Error;
        public bool Done;
    }

    readonly Entry[] _entries = new Entry[Capacity];
    readonly (IAdvertSender Sender, string? Error)[] _results = new (IAdvertSender, string?)[Capacity];
    readonly int[] _order = new int[Capacity];   // which entry each header of a sendmmsg is
    int _count, _used;
    // Outside the managed heap (the kernel reads them by address), made at the first queued frame.
    byte* _arena;
    MMsgHdr* _headers;
    IoVec* _iovecs;
    SockAddrLl* _addresses;
    PacketSocket? _sender;     // bound to no interface: every frame of a pass in one call
    bool _noSender;            // it could not be made: each interface's socket sends

    /// <summary>sendmmsg calls made, and frames they sent (the tests' and a profile's view).</summary>
    public long Calls { get; private set; }
    public long Frames { get; private set; }

    /// <summary>Frames may be queued (the timers of a daemon of many groups are running).</summary>
    public bool Open { get; set; }

    /// <summary>Copies <paramref name="frame"/> to go out on <paramref name="socket"/> at <see cref="Flush"/>; false when closed or full.</summary>
    public bool TryAdd(PacketSocket socket, ReadOnlySpan<byte> frame, IAdvertSender sender)
    {
        if (!Open || _count == Capacity || frame.Length > ArenaBytes - _used || socket.IsDisposed)
        {
            return false;
        }
        if (_arena is null)
        {
            _arena = (byte*)NativeMemory.Alloc(ArenaBytes);
            _iovecs = (IoVec*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(IoVec)));
            _headers = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(MMsgHdr)));
            _addresses = (SockAddrLl*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(SockAddrLl)));
        }
        frame.CopyTo(new Span<byte>(_arena + _used, frame.Length));
        _entries[_count++] = new Entry { Socket = socket, Sender = sender, Offset = _used, Length = frame.Length };
        _used += frame.Length;
        return true;
    }

    /// <summary>
    /// Sends what was queued, each socket's frames in the order queued, then tells each
    /// election its result. An election told of its third failure sends again at once
    /// (carp_send_ad): that frame is queued and goes out in the next round of this call.
    /// </summary>
    public void Flush(long now)
    {
        while (_count > 0)
        {
            int count = _count;
            SendAll(count);
            for (int i = 0; i < count; i++)
            {
                ref Entry e = ref _entries[i];
                _results[i] = (e.Sender, e.Error);
                e = default;   // no reference to a group kept past its pass
            }
            _count = 0;
            _used = 0;
            for (int i = 0; i < count; i++)
            {
                (IAdvertSender sender, string? error) = _results[i];
                _results[i] = default;
                sender.AdvertSent(error, now);
            }
        }
    }

    /// <summary>Every frame through the one sender, or per socket without it.</summary>
    void SendAll(int count)
    {
        if (Sender() is PacketSocket sender)
        {
            SendThrough(sender, count);
            return;
        }
        SendPerSocket(count);
    }

    PacketSocket? Sender()
    {
        if (_sender is null && !_noSender)
        {
            _noSender = !PacketSocket.TryOpenSender(SendBuffer, out _sender, out _);
        }
        return _sender;
    }

    /// <summary>The frames in the order queued, each addressed to its socket's interface, in one sendmmsg (more calls if some fail).</summary>
    void SendThrough(PacketSocket sender, int count)
    {
        int n = 0;
        for (int i = 0; i < count; i++)
        {
            ref Entry e = ref _entries[i];
            e.Done = true;
            if (e.Socket.IsDisposed)
            {
                // Its interface's socket closed meanwhile: what sending on it would have said.
                e.Error = new SysError(Libc.EBADF).Text;
                continue;
            }
            _addresses[n] = new SockAddrLl { Family = Libc.AF_PACKET, Protocol = e.Socket.Protocol, IfIndex = e.Socket.IfIndex };
            _iovecs[n] = new IoVec { Base = _arena + e.Offset, Length = (nuint)e.Length };
            _headers[n] = new MMsgHdr { Name = &_addresses[n], NameLength = (uint)sizeof(SockAddrLl), Iov = &_iovecs[n], IovLength = 1 };
            _order[n++] = i;
        }
        int at = Send(sender, n, untilFull: true);
        if (at < n)
        {
            // The shared buffer is full: the rest leave by their own interfaces' sockets.
            for (int k = at; k < n; k++)
            {
                _entries[_order[k]].Done = false;
            }
            SendPerSocket(count);
        }
    }

    /// <summary>Per socket, in the order each first appears: its frames in one sendmmsg (more calls if some fail).</summary>
    void SendPerSocket(int count)
    {
        for (int first = 0; first < count; first++)
        {
            if (_entries[first].Done)
            {
                continue;
            }
            PacketSocket socket = _entries[first].Socket;
            int n = 0;
            for (int i = first; i < count; i++)
            {
                ref Entry e = ref _entries[i];
                if (e.Done || !ReferenceEquals(e.Socket, socket))
                {
                    continue;
                }
                _iovecs[n] = new IoVec { Base = _arena + e.Offset, Length = (nuint)e.Length };
                _headers[n] = new MMsgHdr { Iov = &_iovecs[n], IovLength = 1 };
                _order[n++] = i;
                e.Done = true;
            }
            Send(socket, n, untilFull: false);
        }
    }

    /// <summary>
    /// Headers [0, n) on one socket: a failure is the frame's alone; the rest still go.
    /// With <paramref name="untilFull"/>, a full send buffer (EAGAIN, ENOBUFS) stops it
    /// instead; returns the first header not sent (n when every one was).
    /// </summary>
    int Send(PacketSocket socket, int n, bool untilFull)
    {
        int at = 0;
        while (at < n)
        {
            Calls++;
            if (socket.TrySendBatch(_headers + at, n - at, out int sent, out SysError error))
            {
                Frames += sent;
                at += sent;
                continue;
            }
            if (untilFull && error.Errno is Libc.EAGAIN or Libc.ENOBUFS)
            {
                return at;
            }
            _entries[_order[at]].Error = error.Text;
            at++;
        }
        return at;
    }

    public void Dispose()
    {
        _sender?.Dispose();
        _sender = null;
        NativeMemory.Free(_arena);
        NativeMemory.Free(_iovecs);
        NativeMemory.Free(_headers);
        NativeMemory.Free(_addresses);
        _arena = null;
        _iovecs = null;
        _headers = null;
        _addresses = null;
    }
}
