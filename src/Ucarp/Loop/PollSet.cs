using Ucarp.Interop;

namespace Ucarp.Loop;

/// <summary>
/// The descriptors of one wait, filled anew before each by the loop's sources; each
/// source keeps the indexes it was given and reads its own results after the wait.
/// Grown, never shrunk: a wake-up allocates nothing.
/// </summary>
internal sealed class PollSet
{
    PollFd[] _fds = new PollFd[64];

    public int Count { get; private set; }

    public void Clear() => Count = 0;

    /// <summary>Adds one descriptor; returns its index for <see cref="Readable"/> and <see cref="REvents"/>.</summary>
    public int Add(int fd, short events = Libc.POLLIN)
    {
        EnsureRoom(1);
        _fds[Count] = new PollFd { Fd = fd, Events = events };
        return Count++;
    }

    /// <summary>Room for up to <paramref name="most"/> descriptors the caller fills itself; <see cref="Commit"/> says how many it used.</summary>
    public Span<PollFd> Reserve(int most)
    {
        EnsureRoom(most);
        return _fds.AsSpan(Count, most);
    }

    /// <summary>Takes <paramref name="used"/> of the reserved entries; returns the index of the first.</summary>
    public int Commit(int used)
    {
        int first = Count;
        Count += used;
        return first;
    }

    /// <summary>The results of <paramref name="count"/> entries from <paramref name="first"/>.</summary>
    public ReadOnlySpan<PollFd> Slice(int first, int count) => _fds.AsSpan(first, count);

    /// <summary>What the wait reported for the entry (0 for an index of -1: not polled).</summary>
    public short REvents(int index) => index >= 0 && index < Count ? _fds[index].REvents : (short)0;

    public bool Readable(int index) => (REvents(index) & Libc.POLLIN) != 0;

    /// <summary>
    /// Waits until a descriptor is ready, a signal interrupts, or <paramref name="micros"/>
    /// have passed. False with ppoll's errno (EINTR for a signal); every entry then reads as not ready.
    /// </summary>
    public unsafe bool TryWait(long micros, out SysError error)
    {
        var timeout = new TimeSpec { Seconds = micros / 1_000_000, Nanoseconds = micros % 1_000_000 * 1000 };
        int ready;
        fixed (PollFd* fds = _fds)
        {
            ready = Libc.PPoll(fds, (ulong)Count, &timeout, null);
        }
        if (ready >= 0)
        {
            error = SysError.None;
            return true;
        }
        error = SysError.Last();
        for (int i = 0; i < Count; i++)
        {
            _fds[i].REvents = 0;
        }
        return false;
    }

    void EnsureRoom(int more)
    {
        if (Count + more > _fds.Length)
        {
            Array.Resize(ref _fds, Math.Max(_fds.Length * 2, Count + more + 64));
        }
    }
}
