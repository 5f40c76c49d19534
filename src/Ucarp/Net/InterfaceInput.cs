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
    // Frames arriving back to back (a flood, or 255 masters' adverts) are left to pile up for
    // this long and then read in one go: one wake-up per millisecond instead of one per
    // frame. Handling an advert up to 1 ms later changes nothing even at -b 0 -k 3 (12 ms
    // adverts, 35 ms master-down); timers fire meanwhile, and lone adverts never start a window.
    const long CoalesceWindow = 1_000;        // µs

    List<InterfaceSocket> Sockets => groups.Interfaces.Sockets;

    int _readinessIndex = -1;

    public void AddTo(PollSet set, long now)
    {
        SocketReadiness? readiness = groups.Interfaces.Readiness;
        bool watching = false;
        foreach (InterfaceSocket socket in Sockets)
        {
            // A socket rests while frames pile up (its coalescing window). A socket none of
            // whose groups listens (they are stopping) is not polled: an interface that is
            // gone would keep reporting its error.
            bool coalescing = now < socket.CoalesceUntil;
            bool wanted = !groups.Stopping && !coalescing && socket.Listening;
            if (readiness is not null && readiness.TryWatch(socket, wanted))
            {
                socket.PollIndex = -1;
                watching |= wanted;
            }
            else
            {
                socket.PollIndex = wanted ? set.Add(socket.Socket.Fd) : -1;
            }
        }
        _readinessIndex = watching ? set.Add(readiness!.Fd) : -1;
    }

    public long? NextDeadline(long now)
    {
        long? wake = null;
        foreach (InterfaceSocket socket in Sockets)
        {
            if (now < socket.CoalesceUntil && (wake is null || socket.CoalesceUntil < wake))
            {
                wake = socket.CoalesceUntil;
            }
        }
        return wake;
    }

    public void Dispatch(PollSet set, long now)
    {
        if (groups.Stopping)
        {
            return;
        }
        Readiness(set);
        SocketErrors(now);
        if (!groups.Stopping)
        {
            ReadAllFrames(now);
        }
    }

    /// <summary>Each socket's result of the wait: its own entry's, or what the readiness set says of it.</summary>
    void Readiness(PollSet set)
    {
        foreach (InterfaceSocket socket in Sockets)
        {
            socket.Revents = set.REvents(socket.PollIndex);
        }
        if (set.REvents(_readinessIndex) != 0)
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

    /// <summary>Reads the waiting frames of every socket that has some (or whose window is over) and hands each to its group.</summary>
    void ReadAllFrames(long now)
    {
        foreach (InterfaceSocket socket in Sockets)
        {
            bool framesWaiting = (socket.Revents & Libc.POLLIN) != 0;
            bool windowOver = socket.CoalesceUntil != 0 && now >= socket.CoalesceUntil && !socket.Polled;
            if (!framesWaiting && !windowOver)
            {
                continue;
            }
            socket.CoalesceUntil = 0;
            if (ReadFrames(socket, now) > 0)
            {
                if (now - socket.LastFrames < CoalesceWindow)
                {
                    socket.CoalesceUntil = now + CoalesceWindow;
                }
                socket.LastFrames = now;
            }
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
            // A read error ends this turn as an empty batch does: a socket gone bad says so by POLLERR.
            if (!socket.Socket.TryReceiveBatch(out int count, out _) || count == 0)
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
            read += count;
            if (count < PacketSocket.Batch)
            {
                // The queue is empty: one more call would only say so. A frame that comes
                // meanwhile makes the socket readable for the next wait.
                return read;
            }
        }
        return read;
    }
}
