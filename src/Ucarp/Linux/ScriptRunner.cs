using Ucarp.Core;
using Ucarp.Core.Follow;
using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Processes;

namespace Ucarp.Linux;

/// <summary>
/// Starts state scripts as ucarp's spawn.c does (execve of the script itself, no
/// shell, no PATH search, argv = script, interface, VIP as typed[, xparam]) but
/// without waiting: the event loop polls a pidfd and reaps the child when it exits.
/// </summary>
internal sealed class ScriptRunner : IDisposable
{
    readonly ILog _log;
    readonly IReadOnlyList<string> _environment;
    readonly string _interface;
    ChildProcess? _child;
    ScriptInvocation? _running;

    public ScriptRunner(ILog log, IReadOnlyList<string> environment, string iface)
    {
        _log = log;
        _interface = iface;
        _environment = Filtered(environment);
    }

    /// <summary>The last environment filtered and what it gave, shared by every group made from it.</summary>
    sealed record Shared(IReadOnlyList<string> From, IReadOnlyList<string> Filtered);
    static Shared? s_shared;

    /// <summary>
    /// The environment without UCARP_EXTRA_ADDRESSES: one inherited from whoever started the
    /// daemon would make the shipped scripts add addresses that are not the group's (the
    /// daemon alone sets it). Every group of a daemon gets the same list, never changed: a
    /// copy per group was over half a KiB of each group's memory with a shell's 47
    /// variables (a list grown to 64 references).
    /// </summary>
    static IReadOnlyList<string> Filtered(IReadOnlyList<string> environment)
    {
        if (s_shared is { } shared && ReferenceEquals(shared.From, environment))
        {
            return shared.Filtered;
        }
        IReadOnlyList<string> filtered = Lists.FindAll(environment, e => !e.StartsWith(Core.Carp.RoleEffects.ExtraAddressesVariable + "=", StringComparison.Ordinal));
        s_shared = new Shared(environment, filtered);
        return filtered;
    }

    /// <summary>Scripts started, and those that could not run, exited non-zero or were killed.</summary>
    public long Runs { get; private set; }
    public long Failures { get; private set; }

    /// <summary>Polls readable when the running script exits; -1 when none runs.</summary>
    public int ExitFd => _child?.ExitFd ?? -1;

    /// <summary>True when a script runs but its exit cannot be polled (no pidfd): check it often.</summary>
    public bool NeedsPolling => _child?.NeedsPolling == true;

    /// <summary>Starts the script; false when no process runs it (it could not be made, or its exec failed).</summary>
    public bool Start(ScriptInvocation script)
    {
        string path = script.Path!;    // the follower starts only steps with a script
        bool spawned = NativeSpawn.TrySpawn(path, script.Arguments, ScriptEnvironment(script), new NativeSpawn.Options(), out int pid, out SysError error);
        Runs++;
        if (!spawned)
        {
            Failures++;
        }
        if (!spawned && error.Errno is Libc.EAGAIN or Libc.ENOMEM) // no process could be made: ucarp's fork failed
        {
            _log.Write(LogLevel.Error, Messages.UnableToSpawn(error.Text));
            return false;
        }
        // A process was made (ucarp's fork succeeded): ucarp logs this line even when the exec then fails.
        string iface = script.Arguments[1], vip = script.Arguments[2];
        string? xparam = XParam(script);
        _log.Write(LogLevel.Warning, Messages.Spawning(path, iface, vip, xparam));
        if (!spawned)
        {
            _log.Write(LogLevel.Error, Messages.UnableToExec(path, iface, vip, xparam, error.Text));
            return false;
        }
        _child = new ChildProcess(pid);
        _running = script;
        return true;
    }

    /// <summary>Reaps the script if it has exited; true when it had (the caller tells the follower).</summary>
    public bool TryReap()
    {
        if (_running is null || _child is null || !_child.TryReap(out int status))
        {
            return false;
        }
        ScriptInvocation script = _running;
        _running = null;
        _child = null;
        if (status >= 0)
        {
            int code = ChildProcess.ExitCode(status);
            int signal = ChildProcess.Signal(status);
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
        return true;
    }

    /// <summary>
    /// The daemon's environment with the step's own entries (UCARP_EXTRA_ADDRESSES) put in
    /// place of any inherited entry of the same name.
    /// </summary>
    IReadOnlyList<string> ScriptEnvironment(ScriptInvocation script)
    {
        if (script.Environment.Count == 0)
        {
            return _environment;
        }
        string[] names = Lists.ConvertAll(script.Environment, e => e[..(e.IndexOf('=') + 1)]);
        List<string> environment = Lists.FindAll(_environment, e => !Array.Exists(names, n => e.StartsWith(n, StringComparison.Ordinal)));
        environment.AddRange(script.Environment);
        return environment;
    }

    static string? XParam(ScriptInvocation s) => s.Arguments.Count > 3 ? s.Arguments[3] : null;

    static string Described(ScriptInvocation s) => string.Join(' ', s.Arguments);

    public void Dispose() => _child?.Dispose();
}
