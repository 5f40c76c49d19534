using System.Diagnostics.CodeAnalysis;
using Ucarp.Core;
using Ucarp.Core.Control;
using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Control;

/// <summary>
/// The daemon's control socket (AF_UNIX, SOCK_STREAM) for ucarpctl, driven by the event
/// loop thread and never blocking it: the loop polls the descriptors <see cref="FillPoll"/>
/// gives, wakes by <see cref="NextDeadline"/>, and hands the results to <see cref="Process"/>.
/// Only root and the daemon's own user are served (SO_PEERCRED), at most
/// <see cref="MaxConnections"/> at once, each with a bounded request and a deadline.
/// </summary>
internal sealed class ControlServer : IDisposable
{
    public const int MaxConnections = 16;
    /// <summary>The listener and every connection: the most descriptors <see cref="FillPoll"/> writes.</summary>
    public const int MaxPollFds = MaxConnections + 1;
    const long StallTimeout = 2_000_000;      // µs a peer may take to send its line, or between reads of its reply
    const long ReloadTimeout = 60_000_000;    // µs a reload's reply may take (ucarpctl itself gives up after 10 s)
    const long WaitTimeout = 120_000_000;     // µs demote --wait may take (ucarpctl gives up after 90 s: a slow downscript)
    const long AcceptPause = 1_000_000;       // µs the listener rests when the process is out of descriptors
    const long WatchStall = 10_000_000;       // µs a watcher may leave its lines unread before it is dropped
    /// <summary>watch connections at once: the others keep room for status, demote and reload.</summary>
    public const int MaxWatchers = 8;
    /// <summary>Bytes a watcher may leave unread: thousands of lines; past it the watcher is dropped.</summary>
    const int WatchBacklog = 256 << 10;
    const int AcceptsPerWakeup = 32;

    readonly FileDescriptor _listener;
    readonly string _path;
    readonly ulong _inode;
    readonly IControlHandler _handler;
    readonly uint _euid = Libc.GetEuid();
    readonly List<ControlConnection> _connections = [];
    long? _acceptPausedUntil;

    ControlServer(FileDescriptor listener, string path, ulong inode, IControlHandler handler)
    {
        _listener = listener;
        _path = path;
        _inode = inode;
        _handler = handler;
    }

    /// <summary>Listens at <paramref name="path"/>; false with what stood in the way (<see cref="ControlSocketFile.TryBind"/>).</summary>
    public static bool TryOpen(string path, IControlHandler handler, [NotNullWhen(true)] out ControlServer? server, out ControlSocketFault fault,
                               out SysError error)
    {
        server = ControlSocketFile.TryBind(path, MaxConnections, out FileDescriptor? listener, out ulong inode, out fault, out error)
            ? new ControlServer(listener, path, inode, handler) : null;
        return server is not null;
    }

    public int ListenFd => _listener.Fd;

    public int ConnectionCount => _connections.Count;

    /// <summary>watch connections open now: while there are none, nothing is worked out for them.</summary>
    public int Watchers
    {
        get
        {
            int n = 0;
            foreach (ControlConnection c in _connections)
            {
                n += c.Streaming && !c.Closed ? 1 : 0;
            }
            return n;
        }
    }

    /// <summary>The earliest connection deadline (a stalled peer is dropped then), or null.</summary>
    public long? NextDeadline
    {
        get
        {
            long? next = _acceptPausedUntil;
            foreach (ControlConnection c in _connections)
            {
                next = next is long n && n <= c.Deadline ? n : c.Deadline;
            }
            return next;
        }
    }

    /// <summary>Writes the descriptors to poll (at most <see cref="MaxPollFds"/>) and returns how many.</summary>
    public int FillPoll(Span<PollFd> fds)
    {
        fds[0] = new PollFd { Fd = _acceptPausedUntil is null ? _listener.Fd : -1, Events = Libc.POLLIN };
        int count = 1;
        foreach (ControlConnection c in _connections)
        {
            fds[count++] = new PollFd { Fd = c.Fd, Events = c.Events };
        }
        return count;
    }

    /// <summary>
    /// Accepts, reads, answers and writes what <paramref name="polled"/> (the entries
    /// FillPoll wrote, with ppoll's revents) says is ready, and drops connections past their
    /// deadline. Calling it with nothing ready only does the latter.
    /// </summary>
    public void Process(ReadOnlySpan<PollFd> polled, long now)
    {
        // By index, not a foreach: a reload reply may arrive from the handler while we serve,
        // and List's enumerator would throw; nor a copy (ToArray), which every pass of a
        // daemon watched by `ucarpctl watch` would allocate. Connections are only added
        // below and removed after the loop.
        for (int i = 0; i < _connections.Count; i++)
        {
            ControlConnection c = _connections[i];
            short events = EventsOf(polled, c.Fd);
            if (!c.Closed && events != 0)
            {
                Serve(c, events, now);
            }
            if (!c.Closed && now >= c.Deadline)
            {
                c.Close();
            }
        }
        _connections.RemoveAll(c => c.Closed);
        if (_acceptPausedUntil <= now)
        {
            _acceptPausedUntil = null;
        }
        else if (_acceptPausedUntil is null && polled.Length > 0 && polled[0].Fd == _listener.Fd && (polled[0].REvents & Libc.POLLIN) != 0)
        {
            Accept(now);
        }
    }

    static short EventsOf(ReadOnlySpan<PollFd> polled, int fd)
    {
        for (int i = 1; i < polled.Length; i++)
        {
            if (polled[i].Fd == fd)
            {
                return polled[i].REvents;
            }
        }
        return 0;
    }

    void Serve(ControlConnection c, short events, long now)
    {
        if (c.Streaming && c.Pending == 0)
        {
            // Nothing to send: a hang-up ends it. A POLLOUT from this pass's ppoll is stale
            // (another request's Watch may have flushed this stream meanwhile), not a hang-up.
            if ((events & (Libc.POLLHUP | Libc.POLLERR)) != 0)
            {
                c.Close();
            }
        }
        else if (c.Replying)
        {
            Flush(c, now);
        }
        else if (c.Waiting)
        {
            // The peer hung up before its reload was answered; the reload goes on regardless.
            c.Close();
        }
        else
        {
            RequestScan scan = c.Read(out byte[]? line, out bool ended);
            switch (scan)
            {
                case RequestScan.TooLong:
                    Reply(c, 2, Messages.ControlRequestTooLong, now);
                    break;
                case RequestScan.Complete:
                    Dispatch(c, line!, now);
                    break;
                default:
                    if (ended)
                    {
                        c.Close();
                    }
                    break;
            }
        }
    }

    void Dispatch(ControlConnection c, byte[] line, long now)
    {
        if (!c.Allowed)
        {
            Reply(c, 1, Messages.ControlPermissionDenied, now);
            return;
        }
        ControlCommand? command = ControlFraming.ParseRequest(line, out string error);
        if (command is null)
        {
            Reply(c, 2, error + "\n", now);
            return;
        }
        // With --json every answer but status's document is {"exit":N,"lines":[...]}.
        ControlReply Shaped(ControlReply reply) => command.Json ? reply with { Body = ControlStatus.Reply(reply.ExitCode, reply.Body) } : reply;
        void Say(int exitCode, string body)
        {
            ControlReply shaped = Shaped(new ControlReply(exitCode, body));
            Reply(c, shaped.ExitCode, shaped.Body, now);
        }
        switch (command.Verb)
        {
            case ControlVerb.Status:
                IReadOnlyList<GroupStatus> groups = _handler.Status(now);
                if (command.Group is string one)
                {
                    groups = Lists.FindAll(groups, g => g.Name == one);
                    if (groups.Count == 0)
                    {
                        Say(1, Messages.NoSuchGroup(one) + "\n");
                        break;
                    }
                }
                Reply(c, 0, command.Json ? ControlStatus.Json(groups) : ControlStatus.Text(groups), now);
                break;
            case ControlVerb.Demote:
            case ControlVerb.Promote:
                ControlReply done = _handler.SetDemoted(command.Group, command.Verb == ControlVerb.Demote, now);
                if (done.ExitCode != 0 || !command.Wait)
                {
                    Say(done.ExitCode, done.Body);
                    break;
                }
                c.Waiting = true;
                c.Deadline = now + WaitTimeout;
                _handler.WhenLetGo(command.Group, reply => Answer(c, Shaped(reply with { Body = done.Body + reply.Body })), () => c.Closed, now);
                break;
            case ControlVerb.Version:
                Say(0, Core.Cli.UsageText.VersionLine + "\n");
                break;
            case ControlVerb.Watch:
                if (Watchers >= MaxWatchers)
                {
                    Say(1, Messages.ControlTooManyWatchers + "\n");
                    break;
                }
                // Status 0 at once, then every group as it is; the changes follow (Publish).
                IReadOnlyList<WatchEvent> first = _handler.Watch(now);
                c.Streaming = true;
                c.WatchJson = command.Json;
                c.Append("0\n"u8, WatchBacklog);
                Publish(c, first, now);
                break;
            case ControlVerb.Reload:
                c.Waiting = true;
                c.Deadline = now + ReloadTimeout;
                _handler.Reload(reply => Answer(c, Shaped(reply)), now);
                break;
        }
    }

    /// <summary>Changes for every watcher (loop thread).</summary>
    public void Publish(IReadOnlyList<WatchEvent> events, long now)
    {
        foreach (ControlConnection c in _connections)
        {
            if (c.Streaming && !c.Closed)
            {
                Publish(c, events, now);
            }
        }
    }

    static void Publish(ControlConnection c, IReadOnlyList<WatchEvent> events, long now)
    {
        bool had = c.Pending > 0;
        foreach (WatchEvent e in events)
        {
            if (!c.Append(System.Text.Encoding.UTF8.GetBytes(c.WatchJson ? StateWatch.Json(e) : StateWatch.Text(e)), WatchBacklog))
            {
                // It stopped reading: dropped, and ucarpctl says the daemon closed the connection.
                c.Close();
                return;
            }
        }
        if (!had)
        {
            c.Deadline = now + WatchStall;
        }
        Flush(c, now);
    }

    /// <summary>The handler's reload reply, on the loop thread, possibly long after the request.</summary>
    void Answer(ControlConnection c, ControlReply reply)
    {
        if (c.Closed || !c.Waiting)
        {
            return;
        }
        c.Waiting = false;
        Reply(c, reply.ExitCode, reply.Body, MonotonicClock.NowMicroseconds);
    }

    void Reply(ControlConnection c, int exitCode, string body, long now)
    {
        c.SetReply(ControlFraming.EncodeReply(exitCode, body));
        c.Deadline = now + StallTimeout;
        Flush(c, now);
    }

    static void Flush(ControlConnection c, long now)
    {
        bool done = c.Flush(out bool progressed);
        if (progressed)
        {
            c.Deadline = now + (c.Streaming ? WatchStall : StallTimeout);
        }
        if (done)
        {
            c.Close();
        }
        else if (c.Streaming && c.Pending == 0)
        {
            c.Deadline = long.MaxValue;   // a watcher that has read everything waits as long as it likes
        }
    }

    unsafe void Accept(long now)
    {
        for (int i = 0; i < AcceptsPerWakeup; i++)
        {
            int fd = Libc.Accept4(_listener.Fd, null, null, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
            if (fd < 0)
            {
                int errno = Libc.LastErrno;
                if (errno is Libc.EMFILE or Libc.ENFILE)
                {
                    // The listener would stay readable and spin the loop: rest it a while.
                    _acceptPausedUntil = now + AcceptPause;
                }
                if (errno is Libc.EINTR or Libc.ECONNABORTED)
                {
                    continue;
                }
                return;
            }
            var socket = new FileDescriptor(fd);
            var c = new ControlConnection(socket, PeerAllowed(fd), now + StallTimeout);
            if (_connections.Count >= MaxConnections)
            {
                // One small write, no waiting: the reply fits in any socket buffer.
                c.SetReply(ControlFraming.EncodeReply(1, Messages.ControlBusy));
                c.Flush(out _);
                c.Close();
                continue;
            }
            _connections.Add(c);
        }
    }

    unsafe bool PeerAllowed(int fd)
    {
        UCred cred;
        uint length = (uint)sizeof(UCred);
        return Libc.GetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_PEERCRED, &cred, &length) == 0
            && length == sizeof(UCred)
            && (cred.Uid == 0 || cred.Uid == _euid);
    }

    /// <summary>Removes the socket file (if still ours) and nothing else: safe from a signal's thread as the daemon dies.</summary>
    public void RemoveSocketFile() => ControlSocketFile.Remove(_path, _inode);

    /// <summary>Closes every connection and the listener, and removes the socket file.</summary>
    public void Dispose()
    {
        foreach (ControlConnection c in _connections)
        {
            c.Close();
        }
        _connections.Clear();
        _listener.Dispose();
        ControlSocketFile.Remove(_path, _inode);
    }
}
