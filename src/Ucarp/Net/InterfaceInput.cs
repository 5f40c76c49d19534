using Ucarp.Core.Carp;
using Ucarp.Core.Election;
using Ucarp.Daemon;
using Ucarp.Interop;
using Ucarp.Linux;
using Ucarp.Loop;

namespace Ucarp.Net;

/// <summary>
/// The frames of every interface socket, routed to the group of their destination and id,
/// and the sockets' errors (an interface that is gone stops its groups).
/// </summary>
internal sealed class InterfaceInput(GroupSet groups) : ILoopSource, ITouchesItsGroups
{
    const int FramesPerWakeup = 512;          // about 1.5 ms of work; then timers get their turn
    // Frames arriving back to back (a flood, or a slot of masters' adverts spread over the
    // interfaces) are left to pile up for this long and then read in one go: one wake-up per
    // millisecond instead of one per frame or per interface. Handling an advert up to 1 ms
    // later changes nothing even at -b 0 -k 3 (12 ms adverts, 35 ms master-down); timers
    // fire meanwhile, and lone adverts never start a window.
    const long CoalesceWindow = 1_000;        // µs

    List<InterfaceSocket> Sockets => groups.Interfaces.Sockets;

    int _readinessIndex = -1;
    // When frames are read again within CoalesceWindow of the last (on any socket: a slot's
    // adverts reach a backup on each of its interfaces, and it woke for each, 210 times a
    // second at 4,080 groups, where a slot comes 32 times), every socket rests until
    // _restUntil: none is polled, and each is read when the window is over.
    long _restUntil;
    long _lastFrames = long.MinValue / 2;

    public void AddTo(PollSet set, long now)
    {
        SocketReadiness? readiness = groups.Interfaces.Readiness;
        bool resting = now < _restUntil;
        bool watching = false;
        foreach (InterfaceSocket socket in Sockets)
        {
            // A socket none of whose groups listens (they are stopping) is not polled: an
            // interface that is gone would keep reporting its error. One that rests stays
            // in the readiness set (only the set is not polled): the window changes no
            // registration.
            bool wanted = !groups.Stopping && socket.Listening;
            if (readiness is not null && readiness.TryWatch(socket, wanted))
            {
                socket.PollIndex = -1;
                watching |= wanted;
            }
            else
            {
                socket.PollIndex = wanted && !resting ? set.Add(socket.Socket.Fd) : -1;
            }
        }
        _readinessIndex = watching && !resting ? set.Add(readiness!.Fd) : -1;
    }

    public long? NextDeadline(long now) => now < _restUntil ? _restUntil : null;

    public void Dispatch(PollSet set, long now)
    {
        if (groups.Stopping)
        {
            return;
        }
        bool windowOver = _restUntil != 0 && now >= _restUntil;
        Readiness(set, windowOver);
        SocketErrors(now);
        if (!groups.Stopping)
        {
            ReadAllFrames(now, windowOver);
        }
    }

    /// <summary>Each socket's result of the wait: its own entry's, or what the readiness set says of it (asked at a window's end too, when the set was not polled).</summary>
    void Readiness(PollSet set, bool windowOver)
    {
        foreach (InterfaceSocket socket in Sockets)
        {
            socket.Revents = set.REvents(socket.PollIndex);
        }
        if (set.REvents(_readinessIndex) != 0 || windowOver)
        {
            groups.Interfaces.Readiness?.Collect();
        }
    }

    /// <summary>A socket reported an error: the interface may be gone (the same end as the link watcher's).</summary>
    unsafe void SocketErrors(long now)
    {
        List<InterfaceSocket> sockets = Sockets;
        for (int i = 0; i < sockets.Count; i++)
        {
            InterfaceSocket socket = sockets[i];
            short revents = socket.Revents;
            if ((revents & (Libc.POLLERR | Libc.POLLHUP | Libc.POLLNVAL)) == 0)
            {
                continue;
            }
            int error = 0;
            uint length = sizeof(int);
            Libc.GetSockOpt(socket.Socket.Fd, Libc.SOL_SOCKET, Libc.SO_ERROR, &error, &length);
            InterfaceEntry entry = socket.Owner;
            if (!InterfaceInfo.TryFlags(groups.Interfaces.Control, entry.NameBytes, out short flags) || (flags & Libc.IFF_UP) == 0)
            {
                // Its groups are told (once: they stop listening, so the socket is not polled again).
                groups.LoseInterface(entry, revents, now);
            }
        }
    }

    /// <summary>Reads the waiting frames of every socket that has some (at a window's end, every socket that was not polled) and hands each to its group.</summary>
    void ReadAllFrames(long now, bool windowOver)
    {
        if (windowOver)
        {
            _restUntil = 0;
        }
        int read = 0;
        foreach (InterfaceSocket socket in Sockets)
        {
            bool framesWaiting = (socket.Revents & Libc.POLLIN) != 0;
            bool unasked = windowOver && !socket.Polled && socket.Listening;
            if (framesWaiting || unasked)
            {
                read += ReadFrames(socket, now);
            }
        }
        if (read > 0)
        {
            if (now - _lastFrames < CoalesceWindow)
            {
                _restUntil = now + CoalesceWindow;
            }
            _lastFrames = now;
        }
    }

    // pcap captured at most ETHERNET_MTU (1500) bytes of a frame.
    static ReadOnlySpan<byte> Frame(InterfaceSocket socket, int i)
    {
        ReadOnlySpan<byte> frame = socket.Socket.Frame(i);
        return frame[..Math.Min(frame.Length, 1500)];
    }

    /// <summary>
    /// Fetches ahead the groups a batch of frames goes to (<see cref="GroupRuntime.Prefetch"/>),
    /// each stage for every frame before the next: a slot's adverts arrive together (a flood
    /// or a start slot's groups on one interface fill a batch), and each names a group last
    /// read an interval ago. The frames are routed again when handled.
    /// </summary>
    static void Prefetch(InterfaceSocket socket, int count)
    {
        if (count < 2)
        {
            return;
        }
        GroupRuntime?[] routed = socket.Routed;
        for (int i = 0; i < count; i++)
        {
            GroupRuntime? g = socket.Find(Frame(socket, i));
            routed[i] = g;
            GroupRuntime.Prefetch(g, 0);
        }
        for (int stage = 1; stage < GroupRuntime.PrefetchStages; stage++)
        {
            for (int i = 0; i < count; i++)
            {
                GroupRuntime.Prefetch(routed[i], stage);
            }
        }
        Array.Clear(routed, 0, count);   // no group kept past its batch
    }

    /// <summary>Reads and routes the waiting frames, at most <see cref="FramesPerWakeup"/>; returns how many.</summary>
    static int ReadFrames(InterfaceSocket socket, long now)
    {
        int read = 0;
        while (read < FramesPerWakeup)
        {
            // A closed socket ends this turn as an empty batch does.
            if (!socket.Socket.TryReceiveBatch(out int count, out bool more) || count == 0)
            {
                return read;
            }
            Prefetch(socket, count);
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<byte> frame = Frame(socket, i);
                if (socket.Route(frame) is GroupRuntime { Stopping: false, Frames: IFrameInput election } group)
                {
                    // A backup that stays one (nearly every advert it hears) told nobody
                    // but its election's timer: the clock looks at that alone.
                    bool backup = group.Machine.State == CarpState.Backup;
                    election.OnFrame(frame, now);
                    if (backup && group.Machine.State == CarpState.Backup)
                    {
                        group.TouchElection();
                    }
                    else
                    {
                        group.Touch();
                    }
                }
            }
            // The batch's ring slots go back to the kernel: its frames have been handled.
            socket.Socket.Release();
            read += count;
            if (!more)
            {
                // The ring is empty: one more look would only say so. A frame that comes
                // meanwhile makes the socket readable for the next wait.
                return read;
            }
        }
        return read;
    }
}
