using System.Runtime.InteropServices;
using Ucarp.Daemon;
using Ucarp.Interop;

namespace Ucarp.Net;

/// <summary>
/// A --config daemon's interface sockets behind one descriptor (an epoll set): the loop's
/// wait polls that one instead of each socket. ppoll looks into every descriptor it is
/// given twice a wait (before sleeping and after waking), each a cold socket: with sixteen
/// interfaces that was a tenth of a 4,080-group master's CPU, sixty times a second, for
/// sockets that never had anything to read. Here a socket is registered while it is worth
/// waking for (its groups listen) and removed when not, so a registration changes only when
/// that does; the wait itself costs the same for one socket or sixteen, and a coalescing
/// window rests the set (it is not polled), not its sockets. When the set reports
/// readiness, or a window is over, one epoll_wait tells which are ready.
/// A plain command line's one socket is polled directly, as before.
/// Registrations are kept by socket, not by descriptor number: a socket is removed from
/// the set before it is closed (HostInterfaces), so a number reused by a new socket is a
/// new registration.
/// </summary>
internal sealed class SocketReadiness : IDisposable
{
    readonly FileDescriptor _epoll;
    // By slot, the event's data: the socket registered there. A slot is freed on removal.
    InterfaceSocket?[] _watched = new InterfaceSocket?[16];
    EpollEvent[] _events = new EpollEvent[16];
    int _count;

    SocketReadiness(int fd) => _epoll = new FileDescriptor(fd);

    /// <summary>A new set, or null when the kernel will not make one (the sockets are then polled one by one).</summary>
    public static SocketReadiness? TryCreate()
    {
        // EpollEvent is x86-64's packed 12 bytes; elsewhere the kernel's is 16, and a wait
        // would write past the buffer. Only linux-x64 is built, but a port must not inherit that.
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return null;
        }
        int fd = Libc.EpollCreate1(Libc.EPOLL_CLOEXEC);
        return fd >= 0 ? new SocketReadiness(fd) : null;
    }

    /// <summary>The descriptor the loop polls: readable while a registered socket is.</summary>
    public int Fd => _epoll.Fd;

    /// <summary>Sockets registered now.</summary>
    public int Count => _count;

    /// <summary>
    /// Registers the socket (<paramref name="wanted"/>) or removes it; true when its
    /// readiness is then the set's business, false when registering failed (the caller
    /// polls it directly for this wait, and the next pass tries again).
    /// </summary>
    public unsafe bool TryWatch(InterfaceSocket socket, bool wanted)
    {
        if (!wanted)
        {
            Forget(socket);
            return true;
        }
        if (socket.WatchSlot >= 0)
        {
            return true;
        }
        int slot = Array.IndexOf(_watched, null);
        if (slot < 0)
        {
            slot = _watched.Length;
            Array.Resize(ref _watched, 2 * _watched.Length);
            Array.Resize(ref _events, _watched.Length);
        }
        var registration = new EpollEvent { Events = Libc.EPOLLIN, Data = (ulong)slot };
        if (Libc.EpollCtl(_epoll.Fd, Libc.EPOLL_CTL_ADD, socket.Socket.Fd, &registration) != 0)
        {
            return false;
        }
        _watched[slot] = socket;
        socket.WatchSlot = slot;
        _count++;
        return true;
    }

    /// <summary>Removes the socket from the set, if registered; before it is closed.</summary>
    public unsafe void Forget(InterfaceSocket socket)
    {
        int slot = socket.WatchSlot;
        if (slot < 0)
        {
            return;
        }
        // An error means the registration is gone already (the descriptor was closed).
        Libc.EpollCtl(_epoll.Fd, Libc.EPOLL_CTL_DEL, socket.Socket.Fd, null);
        _watched[slot] = null;
        socket.WatchSlot = -1;
        _count--;
    }

    /// <summary>
    /// Adds to each registered socket's <see cref="InterfaceSocket.Revents"/> what it is ready
    /// for (POLLIN, POLLERR, POLLHUP: epoll's bits are poll's), without waiting. The event
    /// buffer holds one event per slot, so one call reports every ready socket.
    /// </summary>
    public unsafe void Collect()
    {
        int n;
        fixed (EpollEvent* events = _events)
        {
            n = Libc.EpollWait(_epoll.Fd, events, _events.Length, 0);
        }
        for (int i = 0; i < n; i++)
        {
            ulong slot = _events[i].Data;
            if (slot < (ulong)_watched.Length && _watched[slot] is InterfaceSocket socket)
            {
                socket.Revents |= (short)_events[i].Events;
            }
        }
    }

    public void Dispose() => _epoll.Dispose();
}
