using System.Collections.Concurrent;
using Ucarp.Control;
using Ucarp.Core.Control;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>
/// The daemon's ControlServer in this process, on a thread of its own that polls it as the
/// event loop does (FillPoll, ppoll until NextDeadline, Process), with a scripted handler.
/// </summary>
sealed class ServedControlSocket : IDisposable
{
    readonly Thread _thread;
    volatile bool _stop;

    public ServedControlSocket(string path, ScriptedHandler handler)
    {
        Path = path;
        Handler = handler;
        Server = ControlServer.TryOpen(path, handler, out ControlServer? server, out ControlSocketFault fault, out SysError error)
            ? server : throw new InvalidOperationException(Program.ControlSocketLine(path, fault, error));
        _thread = new Thread(Loop) { IsBackground = true, Name = "control loop" };
        _thread.Start();
    }

    public string Path { get; }
    public ScriptedHandler Handler { get; }
    public ControlServer Server { get; }
    /// <summary>The longest a Process call took: the loop must never block on a peer.</summary>
    public TimeSpan LongestProcess { get; private set; }

    unsafe void Loop()
    {
        PollFd* fds = stackalloc PollFd[ControlServer.MaxPollFds];
        while (!_stop)
        {
            long now = MonotonicClock.NowMicroseconds;
            int count = Server.FillPoll(new Span<PollFd>(fds, ControlServer.MaxPollFds));
            long wait = Math.Clamp((Server.NextDeadline ?? now + 20_000) - now, 0, 20_000);
            var timeout = new TimeSpec { Seconds = 0, Nanoseconds = wait * 1000 };
            Libc.PPoll(fds, (ulong)count, &timeout, null);
            now = MonotonicClock.NowMicroseconds;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Server.Process(new ReadOnlySpan<PollFd>(fds, count), now);
            Handler.RunDue(now);
            LongestProcess = clock.Elapsed > LongestProcess ? clock.Elapsed : LongestProcess;
        }
    }

    /// <summary>A socket file with nobody behind it, as a killed daemon leaves (.NET's Socket would remove it).</summary>
    public static unsafe void LeaveStale(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        int fd = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_STREAM, 0);
        Assert.That(UnixEndpoint.TryMake(path, out SockAddrUn address), Is.True);
        Assert.That(Libc.Bind(fd, &address, (uint)sizeof(SockAddrUn)), Is.Zero);
        Libc.Close(fd);
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        Server.Dispose();
    }
}

/// <summary>A handler that records what it was asked, answers status with given rows, and reload after a delay.</summary>
sealed class ScriptedHandler : IControlHandler
{
    readonly List<(long Due, Action Run)> _later = [];

    public IReadOnlyList<GroupStatus> Groups { get; set; } = [];
    public ConcurrentQueue<(string? Group, bool Demoted)> Demotions { get; } = new();
    public int StatusCalls { get; private set; }
    public int ReloadCalls { get; private set; }
    public TimeSpan ReloadTakes { get; set; } = TimeSpan.FromMilliseconds(300);
    public ControlReply ReloadReply { get; set; } = new(0, "reloaded: 0 groups changed\n");

    public IReadOnlyList<GroupStatus> Status(long now)
    {
        StatusCalls++;
        return Groups;
    }

    public ControlReply SetDemoted(string? group, bool demoted, long now)
    {
        Demotions.Enqueue((group, demoted));
        return group is null or "web" ? new ControlReply(0, $"{(demoted ? "demoted" : "promoted")} {group ?? "all groups"}\n")
                                      : new ControlReply(1, $"no group named [{group}]\n");
    }

    public void Reload(Action<ControlReply> complete, long now)
    {
        ReloadCalls++;
        long due = ReloadTakes == Timeout.InfiniteTimeSpan ? long.MaxValue : now + (long)ReloadTakes.TotalMicroseconds;
        _later.Add((due, () => complete(ReloadReply)));
    }

    public void WhenLetGo(string? group, Action<ControlReply> complete, Func<bool> abandoned, long now) =>
        _later.Add((now, () => complete(new ControlReply(0, "let go\n"))));

    public IReadOnlyList<WatchEvent> Watch(long now) => StateWatch.Snapshot(Groups, 1_700_000_000_000_000);

    /// <summary>With ReloadTakes infinite, a reload completes only once the test says so.</summary>
    public void ReleaseReloads() => _released = true;

    volatile bool _released;

    /// <summary>On the loop thread, as the daemon's reload completes there.</summary>
    public void RunDue(long now)
    {
        foreach (var due in _later.Where(l => l.Due <= now || _released).ToList())
        {
            _later.Remove(due);
            due.Run();
        }
    }
}
