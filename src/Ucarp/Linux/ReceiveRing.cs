using System.Diagnostics.CodeAnalysis;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// A packet socket's receive ring (PACKET_RX_RING, TPACKET_V2): the kernel writes each
/// frame the socket's filter passes into the next slot of memory it shares with us, and the
/// slot is handed back once its frame is handled. Nothing per frame on our side but reading
/// it: no system call, no copy out of the kernel, no buffer freed. Under a forged flood,
/// recvmmsg's dequeue, copy and free of each frame were most of the daemon's CPU (the flood
/// bench's profile); libpcap reads ucarp 1.5.2's frames through such a ring too.
/// </summary>
/// <remarks>
/// Slots are small: adverts are 70 (CARP, IPv4) to 90 bytes (IPv6). A longer frame (a VRRP
/// advert of many addresses) is cut to its slot, and the kernel also queues it whole on the
/// socket (PACKET_COPY_THRESH): its slot says TP_STATUS_COPY, and the reader takes the
/// frame from the queue. A slot the reader holds is not the kernel's: when every slot is
/// full, frames are dropped, as a full receive buffer drops them.
/// </remarks>
internal sealed unsafe class ReceiveRing : IDisposable
{
    /// <summary>
    /// A slot: the tpacket2 header and the sockaddr_ll the kernel puts first (the frame
    /// starts 66 bytes in, after 16-byte alignment), then a frame of up to 94 bytes: a CARP
    /// advert (70 bytes over IPv4, 90 over IPv6), a VRRP one of a few addresses. Blocks are
    /// single pages (25 slots each), so the kernel never needs contiguous pages for one.
    /// </summary>
    internal const int SlotSize = 160;

    /// <summary>
    /// Slots of a socket whose peers' adverts may all come at once: a --config daemon of up
    /// to 255 groups starts them in step (StartPhase), and so does its peer, whose adverts
    /// for every group on the interface then leave in one burst, 255 frames within a few
    /// hundred microseconds, all of which must fit while the reader wakes, twice over. A
    /// plain command line's filter may let every vhid in (a VRRP group, -D), beside such a
    /// peer or keepalived's many instances. Twenty-one pages, 84 KiB.
    /// </summary>
    internal const int InStep = 510;

    /// <summary>
    /// Slots of a --config daemon of more than 255 groups, which start in slots of 128: twice
    /// a slot's adverts, and 3.5 ms of a 70,000 frames/s flood, where InterfaceInput reads
    /// once a millisecond. Ten pages, 40 KiB, on each of what may be dozens of interfaces.
    /// </summary>
    internal const int Spread = 250;

    /// <summary>The ring a socket needs in a daemon whose groups start in <paramref name="startSlots"/> slots (0: a plain command line; see StartPhase).</summary>
    public static int SlotsFor(int startSlots) => startSlots > 1 ? Spread : InStep;

    readonly byte* _memory;
    readonly nuint _length;
    readonly int _blockSize;
    readonly int _slotsPerBlock;
    int _next;       // the slot the next frame comes in
    int _held;       // slots from _next on that the reader holds
    bool _disposed;

    ReceiveRing(byte* memory, nuint length, int blockSize, int slotsPerBlock, int slots)
    {
        _memory = memory;
        _length = length;
        _blockSize = blockSize;
        _slotsPerBlock = slotsPerBlock;
        Slots = slots;
    }

    public int Slots { get; }

    /// <summary>Bytes the ring maps (and the process keeps resident).</summary>
    public int Bytes => (int)_length;

    /// <summary>
    /// Sets up the ring on <paramref name="fd"/> (before its bind, so no frame comes by
    /// another way first); false with the failed step named, and the caller closes the
    /// socket (the kernel frees a ring set up on it then).
    /// </summary>
    public static bool TryCreate(int fd, int wanted, [NotNullWhen(true)] out ReceiveRing? ring, out SysError error)
    {
        ring = null;
        int version = Libc.TPACKET_V2;
        if (Libc.SetSockOpt(fd, Libc.SOL_PACKET, Libc.PACKET_VERSION, &version, sizeof(int)) != 0)
        {
            error = SysError.Last("PACKET_VERSION");
            return false;
        }
        int blockSize = Environment.SystemPageSize;
        int slotsPerBlock = blockSize / SlotSize;
        int blocks = Math.Max(1, (wanted + slotsPerBlock - 1) / slotsPerBlock);
        var request = new TPacketReq
        {
            BlockSize = (uint)blockSize,
            BlockCount = (uint)blocks,
            FrameSize = SlotSize,
            FrameCount = (uint)(blocks * slotsPerBlock),
        };
        if (Libc.SetSockOpt(fd, Libc.SOL_PACKET, Libc.PACKET_RX_RING, &request, (uint)sizeof(TPacketReq)) != 0)
        {
            error = SysError.Last("PACKET_RX_RING");
            return false;
        }
        nuint length = (nuint)blockSize * (nuint)blocks;
        void* memory = Libc.Mmap(null, length, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
        if (Libc.IsMapFailed(memory))
        {
            error = SysError.Last("mmap");
            return false;
        }
        // Any frame longer than its slot also comes whole by the socket's queue.
        int threshold = 1;
        if (Libc.SetSockOpt(fd, Libc.SOL_PACKET, Libc.PACKET_COPY_THRESH, &threshold, sizeof(int)) != 0)
        {
            error = SysError.Last("PACKET_COPY_THRESH");
            Libc.Munmap(memory, length);
            return false;
        }
        ring = new ReceiveRing((byte*)memory, length, blockSize, slotsPerBlock, blocks * slotsPerBlock);
        error = SysError.None;
        return true;
    }

    byte* Slot(int index) => _memory + (index / _slotsPerBlock) * _blockSize + (index % _slotsPerBlock) * SlotSize;

    /// <summary>
    /// The next slot after those held whose frame the kernel has written, or null: held
    /// from now on, until <see cref="Release"/>. Its status is read before its frame (the
    /// kernel writes the frame first and the status last).
    /// </summary>
    public byte* TakeNext(out uint status)
    {
        byte* slot = Written(0, out status);
        if (slot is not null)
        {
            _held++;
        }
        return slot;
    }

    /// <summary>How many frames wait in the ring after those held (the reader's look, for tests and diagnostics: nothing is taken).</summary>
    public int Waiting
    {
        get
        {
            int waiting = 0;
            while (Written(waiting, out _) is not null)
            {
                waiting++;
            }
            return waiting;
        }
    }

    /// <summary>The slot <paramref name="after"/> places past those held, if the kernel has written its frame; else null.</summary>
    byte* Written(int after, out uint status)
    {
        status = Libc.TP_STATUS_KERNEL;
        if (_disposed || _held + after >= Slots)
        {
            return null;
        }
        byte* slot = Slot((_next + _held + after) % Slots);
        status = Volatile.Read(ref ((TPacket2Header*)slot)->Status);
        return (status & Libc.TP_STATUS_USER) != 0 ? slot : null;
    }

    /// <summary>
    /// The frame in a slot <see cref="TakeNext"/> gave: what of it the slot holds (bounded by
    /// the slot, whatever the header says); <paramref name="whole"/> false when that is less
    /// than the frame's length on the wire.
    /// </summary>
    public static ReadOnlySpan<byte> Frame(byte* slot, out bool whole)
    {
        var header = (TPacket2Header*)slot;
        int start = header->Mac;
        if (start >= SlotSize)
        {
            whole = false;
            return default;
        }
        int length = (int)Math.Min(header->SnapLength, (uint)(SlotSize - start));
        whole = length >= header->Length;
        return new ReadOnlySpan<byte>(slot + start, length);
    }

    /// <summary>Gives every held slot back to the kernel, oldest first; the ring is unmapped here if it was disposed while slots were held.</summary>
    public void Release()
    {
        if (_held > 0 && !_unmapped)
        {
            for (int i = 0; i < _held; i++)
            {
                Volatile.Write(ref ((TPacket2Header*)Slot((_next + i) % Slots))->Status, Libc.TP_STATUS_KERNEL);
            }
            _next = (_next + _held) % Slots;
            _held = 0;
        }
        if (_disposed)
        {
            Unmap();
        }
    }

    bool _unmapped;

    void Unmap()
    {
        if (!_unmapped)
        {
            _unmapped = true;
            Libc.Munmap(_memory, _length);
        }
    }

    /// <summary>
    /// Unmaps the ring, or, while the reader holds slots (their frames are being handled, and
    /// may be read again), marks it to be unmapped when they are released.
    /// </summary>
    public void Dispose()
    {
        _disposed = true;
        if (_held == 0)
        {
            Unmap();
        }
    }
}
