using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Core.Monitoring;
using Ucarp.Linux;

namespace Ucarp.Monitoring;

/// <summary>
/// What follows the role for monitoring: the state file, the metrics file and systemd's
/// notifications. The event loop calls <see cref="Tick"/> after each wake-up: a change
/// that matters (role, eligibility, master, link, health) is written at once; counters
/// alone at most once per advert interval. Writes never stop the protocol: they run on
/// <see cref="DocumentWriter"/>'s thread; a failure is logged once, and retried at the next write.
/// </summary>
internal sealed class StatusPublisher : IDisposable
{
    readonly Configuration _config;
    readonly IElection _machine;
    readonly ScriptRunner _scripts;
    readonly HealthCheckRunner? _health;
    readonly ILog _log;
    readonly SystemdNotifier _notifier;
    readonly long _refresh;
    /// <summary>How long the daemon's end waits for the final state file (STOPPED) to be written.</summary>
    static readonly TimeSpan FinalWrite = TimeSpan.FromSeconds(2);

    readonly Lock _writing = new();
    readonly DocumentWriter _writer = new();
    readonly Dictionary<string, bool> _failing = [];   // touched on the writer's thread only
    (CarpState, bool, IpAddress?, bool, bool?, long, SkewInUse) _significant;
    long _counters = -1;
    long _lastWrite = long.MinValue / 2;
    long _sinceUnixMicros;
    long _nextPing;
    string? _status;
    bool _stopped;

    public StatusPublisher(Configuration config, IElection machine, ScriptRunner scripts, HealthCheckRunner? health, ILog log,
                           SystemdNotifier notifier, long now)
    {
        _config = config;
        _machine = machine;
        _scripts = scripts;
        _health = health;
        _log = log;
        _notifier = notifier;
        // Counters alone refresh the files at most once per advert interval (a second at least).
        _refresh = Math.Max(Timing.Interval(config.AdvBase, config.AdvSkew), Timing.Second);
        _sinceUnixMicros = WallClock();
        _nextPing = now;
    }

    /// <summary>When <see cref="Tick"/> must run at the latest: a watchdog ping or a pending counter refresh.</summary>
    public long? NextDeadline
    {
        get
        {
            long? ping = _notifier.WatchdogInterval > 0 ? _nextPing : null;
            long? refresh = HasFiles && CountersNow() != _counters ? _lastWrite + _refresh : null;
            return ping is null ? refresh : refresh is null ? ping : Math.Min(ping.Value, refresh.Value);
        }
    }

    bool HasFiles => _config.StateFile is not null || _config.MetricsFile is not null;

    /// <summary>The interface is set up: the first documents, then READY=1 for systemd.</summary>
    public void Start(long now)
    {
        Tick(now);
        _notifier.Send("READY=1");
    }

    public void Tick(long now)
    {
        if (_notifier.WatchdogInterval > 0 && now >= _nextPing)
        {
            _notifier.Send("WATCHDOG=1");
            _nextPing = now + _notifier.WatchdogInterval;
        }
        var significant = (_machine.State, _machine.Eligible, _machine.MasterAddress(now), _machine.LinkIsDown,
                           _health?.Policy.Passing, _machine.Counters.Transitions, _machine.Skew);
        bool changed = significant != _significant;
        if (changed)
        {
            if (significant.Item1 != _significant.Item1 || significant.Item6 != _significant.Item6)
            {
                _sinceUnixMicros = WallClock();
            }
            _significant = significant;
            string status = RoleEffects.StatusLine(_machine.State, _machine.Eligible, _machine.Skew, _config.Interface!, _config.Vhid);
            if (status != _status)
            {
                _status = status;
                _notifier.Send("STATUS=" + status);
            }
        }
        if (HasFiles && (changed || (now >= _lastWrite + _refresh && CountersNow() != _counters)))
        {
            _lastWrite = now;
            _counters = CountersNow();
            Write(Snapshot(now, stopped: false));
        }
    }

    /// <summary>
    /// The daemon is ending: STOPPING=1, the state file says STOPPED, the metrics file is
    /// removed (node_exporter would otherwise go on exporting a daemon that is gone).
    /// Safe to call from a signal thread, and more than once.
    /// </summary>
    public void Stop(long now)
    {
        string? state;
        lock (_writing)
        {
            if (_stopped)
            {
                return;
            }
            _stopped = true;
            _notifier.Send("STOPPING=1");
            state = _config.StateFile is null ? null : StateDocument.Build(Snapshot(now, stopped: true));
        }
        if (!HasFiles)
        {
            return;
        }
        // Waited for outside the lock: the event loop's Tick must never wait on it.
        _writer.Finish(() =>
        {
            if (state is not null)
            {
                Report(_config.StateFile!, AtomicFile.Replace(_config.StateFile!, state));
            }
            if (_config.MetricsFile is not null)
            {
                try
                {
                    File.Delete(_config.MetricsFile);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Report(_config.MetricsFile, e.Message);
                }
            }
        }, FinalWrite);
    }

    void Write(StatusSnapshot snapshot)
    {
        lock (_writing)
        {
            if (_stopped)
            {
                return;
            }
            // The documents are built here (cheap, and the machine is read on its own thread); the I/O is the writer's.
            string? state = _config.StateFile is null ? null : StateDocument.Build(snapshot);
            string? metrics = _config.MetricsFile is null ? null : MetricsDocument.Build(snapshot);
            _writer.Post(() =>
            {
                if (state is not null)
                {
                    Report(_config.StateFile!, AtomicFile.Replace(_config.StateFile!, state));
                }
                if (metrics is not null)
                {
                    Report(_config.MetricsFile!, AtomicFile.Replace(_config.MetricsFile!, metrics));
                }
            });
        }
    }

    /// <summary>A failing file is logged once, and once more when it is written again.</summary>
    void Report(string path, string? error)
    {
        bool wasFailing = _failing.GetValueOrDefault(path);
        if (error is not null && !wasFailing)
        {
            _log.Write(LogLevel.Warning, Messages.FileWriteFailed(path, error));
        }
        else if (error is null && wasFailing)
        {
            _log.Write(LogLevel.Notice, Messages.FileWriteRecovered(path));
        }
        _failing[path] = error is not null;
    }

    /// <summary>A sum that moves whenever any counter does: cheap enough for every wake-up.</summary>
    long CountersNow()
    {
        CarpCounters c = _machine.Counters;
        return c.Transitions + c.AdvertsSent + c.AdvertSendErrors + c.AdvertsReceived + _machine.RejectedTotal
               + _scripts.Runs + _scripts.Failures + (_health?.Policy.Runs ?? 0);
    }

    StatusSnapshot Snapshot(long now, bool stopped) => new()
    {
        State = _machine.State,
        Stopped = stopped,
        InElection = _machine.Eligible && !stopped,
        ElectionReason = _machine.EligibilityReason,
        LinkUp = !_machine.LinkIsDown,
        SinceUnixMicros = stopped ? WallClock() : _sinceUnixMicros,
        NowUnixMicros = WallClock(),
        Interface = _config.Interface!,
        Vhid = _config.Vhid,
        VirtualAddress = _config.VirtualAddressText ?? _config.VirtualAddress.ToString(),
        Source = _config.SourceAddress,
        AdvBase = _config.AdvBase,
        AdvSkew = _config.AdvSkew,
        Skew = _machine.Skew,
        Preempt = _config.Preempt,
        Master = stopped ? null : _machine.MasterAddress(now),
        Health = _health is null ? null : HealthSnapshot.From(_config.Check!, _health.Policy),
        Transitions = _machine.Counters.Transitions,
        AdvertsSent = _machine.Counters.AdvertsSent,
        AdvertSendErrors = _machine.Counters.AdvertSendErrors,
        AdvertsReceived = _machine.Counters.AdvertsReceived,
        ScriptRuns = _scripts.Runs,
        ScriptFailures = _scripts.Failures,
        Rejected = _machine.Rejections,
        Pid = Environment.ProcessId,
    };

    static long WallClock() => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / 10;

    public void Dispose() => _notifier.Dispose();
}
