using System.Globalization;
using Ucarp.Core.Cli;
using Ucarp.Core.Health;
using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Processes;

namespace Ucarp.Linux;

/// <summary>
/// Runs --check with /bin/sh -c every interval, beside the protocol as the scripts run:
/// spawned without waiting, reaped through a pidfd the event loop polls. Each run leads
/// a process group of its own, so a run past its timeout is killed with everything it
/// started. The fall/rise decision is <see cref="HealthPolicy"/>'s.
/// </summary>
internal sealed class HealthCheckRunner : IDisposable
{
    const int ShellNotFound = 127, ShellNotExecutable = 126;

    readonly ILog _log;
    readonly string _command;
    readonly long _interval;
    readonly long _timeout;
    readonly IReadOnlyList<string> _environment;
    ChildProcess? _child;
    long _startedAt;
    long _nextStart;
    bool _killed;

    public HealthCheckRunner(Configuration config, ILog log, IReadOnlyList<string> environment, long now)
    {
        _log = log;
        _command = config.Check!;
        _interval = config.CheckInterval;
        _timeout = config.CheckTimeout ?? config.CheckInterval;
        _environment = environment;
        Policy = new HealthPolicy(config.CheckFall, config.CheckRise, config.CheckWeight);
        _nextStart = now; // the first run at once: the node is out of the election (or degraded) until it passes
    }

    public HealthPolicy Policy { get; }

    /// <summary>Polls readable when the running check exits; -1 when none runs.</summary>
    public int ExitFd => _child?.ExitFd ?? -1;

    /// <summary>True when a check runs but its exit cannot be polled (no pidfd): check it often.</summary>
    public bool NeedsPolling => _child?.NeedsPolling == true;

    /// <summary>When <see cref="OnTimer"/> must run: the next start, or the running check's timeout.</summary>
    public long? NextDeadline => _child is null ? _nextStart : _killed ? null : _startedAt + _timeout;

    /// <summary>Starts a due check or kills an overdue one; a verdict when a run ended (could not start).</summary>
    public HealthVerdict? OnTimer(long now)
    {
        if (_child is not null)
        {
            if (!_killed && now >= _startedAt + _timeout)
            {
                // The whole group: a shell's children would otherwise live on and pile up.
                Libc.Kill(-_child.Pid, Libc.SIGKILL);
                _killed = true;
            }
            return null;
        }
        if (now < _nextStart)
        {
            return null;
        }
        _startedAt = now;
        _nextStart = now + _interval;
        if (!NativeSpawn.TrySpawn("/bin/sh", ["/bin/sh", "-c", _command], _environment, new NativeSpawn.Options(NewProcessGroup: true),
                                  out int pid, out SysError error))
        {
            return Failed(Messages.CheckUnstartable(_command, error.Text));
        }
        _child = new ChildProcess(pid);
        _killed = false;
        return null;
    }

    /// <summary>Reaps the check if it has exited and judges the run.</summary>
    public HealthVerdict? TryReap(long now)
    {
        if (_child is null || !_child.TryReap(out int status))
        {
            return null;
        }
        _child = null;
        // A run that outlived the interval starts the next one at once.
        _nextStart = Math.Max(_nextStart, now);
        int code = ChildProcess.ExitCode(status);
        int signal = status < 0 ? 0 : ChildProcess.Signal(status);
        if (_killed)
        {
            return Failed(Messages.CheckTimedOut(_command, (_timeout / 1e6).ToString("0.###", CultureInfo.InvariantCulture)));
        }
        if (status < 0 || signal != 0)
        {
            return Failed(Messages.CheckKilled(_command, signal));
        }
        if (code is ShellNotFound or ShellNotExecutable)
        {
            return Failed(Messages.CheckNotFound(_command, code));
        }
        if (code != 0)
        {
            return Failed(Messages.CheckExited(_command, code));
        }
        return Policy.Report(passed: true);
    }

    HealthVerdict Failed(string why)
    {
        HealthVerdict verdict = Policy.Report(passed: false);
        if (verdict.LogFailure)
        {
            _log.Write(LogLevel.Warning, why);
        }
        return verdict;
    }

    /// <summary>At exit: a check still running is killed with its group, and reaped.</summary>
    public void Dispose()
    {
        _child?.KillAndWait(group: true);
        _child = null;
    }
}
