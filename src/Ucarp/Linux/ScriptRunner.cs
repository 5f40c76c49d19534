using Ucarp.Core.Carp;
using Ucarp.Core.Logging;
using Ucarp.Core.Scripts;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// Starts state scripts as ucarp's spawn.c does (execve of the script itself, no
/// shell, no PATH search, argv = script, interface, VIP as typed[, xparam]) but
/// without waiting: the event loop polls a pidfd and reaps the child when it exits.
/// </summary>
internal sealed class ScriptRunner : IScriptQueueHost, IDisposable
{
    readonly ILog _log;
    readonly Func<ReadOnlySpan<byte>, string?> _send;
    readonly IReadOnlyList<string> _environment;
    int _pid;
    FileDescriptor? _pidfd;
    ScriptInvocation? _running;

    public ScriptRunner(ILog log, Func<ReadOnlySpan<byte>, string?> send, IReadOnlyList<string> environment)
    {
        _log = log;
        _send = send;
        _environment = environment;
        Queue = new ScriptQueue(this);
    }

    public ScriptQueue Queue { get; }

    /// <summary>Scripts started, and those that could not run, exited non-zero or were killed.</summary>
    public long Runs { get; private set; }
    public long Failures { get; private set; }

    /// <summary>Polls readable when the running script exits; -1 when none runs.</summary>
    public int ExitFd => _pidfd?.Fd ?? -1;

    /// <summary>True when a script runs but its exit cannot be polled (no pidfd): check it often.</summary>
    public bool NeedsPolling => _running is not null && _pidfd is null;

    public bool Start(ScriptInvocation script)
    {
        int pid = NativeSpawn.Spawn(script.Path, script.Arguments, _environment, new NativeSpawn.Options());
        Runs++;
        if (pid < 0)
        {
            Failures++;
        }
        if (pid is -11 or -12) // EAGAIN, ENOMEM: no process could be made
        {
            _log.Write(LogLevel.Error, Messages.UnableToSpawn(Libc.StrError(-pid)));
            return false;
        }
        // A process was made (ucarp's fork succeeded): ucarp logs this line even when the exec then fails.
        string iface = script.Arguments[1], vip = script.Arguments[2];
        string? xparam = XParam(script);
        _log.Write(LogLevel.Warning, Messages.Spawning(script.Path, iface, vip, xparam));
        if (pid < 0)
        {
            _log.Write(LogLevel.Error, Messages.UnableToExec(script.Path, iface, vip, xparam, Libc.StrError(-pid)));
            return false;
        }
        _pid = pid;
        _running = script;
        int fd = Libc.PidFdOpen(pid, 0);
        _pidfd = fd >= 0 ? new FileDescriptor(fd) : null;
        return true;
    }

    /// <summary>Reaps the script if it has exited; true when it had.</summary>
    public unsafe bool TryReap()
    {
        if (_running is null)
        {
            return false;
        }
        int status;
        int rc = Libc.WaitPid(_pid, &status, Libc.WNOHANG);
        if (rc == 0 || (rc < 0 && Libc.LastErrno == Libc.EINTR))
        {
            return false;
        }
        ScriptInvocation script = _running;
        _running = null;
        _pidfd?.Dispose();
        _pidfd = null;
        if (rc > 0)
        {
            int code = (status >> 8) & 0xff;
            int signal = status & 0x7f;
            if (signal != 0 || code != 0)
            {
                Failures++;
            }
            if (signal != 0)
            {
                _log.Write(LogLevel.Warning, Messages.ScriptKilled(Described(script), signal));
            }
            else if (code != 0)
            {
                _log.Write(LogLevel.Warning, Messages.ScriptFailed(Described(script), code));
            }
        }
        Queue.Completed();
        return true;
    }

    /// <summary>Blocks until every queued script has run: ucarp waits for its scripts before it exits.</summary>
    public void WaitForAll()
    {
        while (!Queue.Idle)
        {
            if (!TryReap())
            {
                Thread.Sleep(10);
            }
        }
    }

    public void SendFrame(ReadOnlySpan<byte> frame)
    {
        string? error = _send(frame);
        if (error is not null)
        {
            _log.Write(LogLevel.Error, Messages.GarpWriteFailed(error));
        }
    }

    static string? XParam(ScriptInvocation s) => s.Arguments.Count > 3 ? s.Arguments[3] : null;

    static string Described(ScriptInvocation s) => string.Join(' ', s.Arguments);

    public void Dispose() => _pidfd?.Dispose();
}
