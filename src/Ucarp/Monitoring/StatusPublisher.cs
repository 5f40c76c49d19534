using Ucarp.Core.Carp;
using Ucarp.Core.Election;
using Ucarp.Core.Cli;
using Ucarp.Core.Config;
using Ucarp.Core.Logging;
using Ucarp.Core.Monitoring;
using Ucarp.Core.Wire;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Monitoring;

/// <summary>
/// What follows the groups' roles for monitoring: the state file, the metrics file and
/// systemd's notifications. Each group's election tells it what changed
/// (<see cref="IStandingWatcher"/>); the event loop calls <see cref="Tick"/> after each
/// wake-up, which looks at the groups that changed only: a change that matters (role,
/// eligibility, master, link, health) is written at once; counters alone at most once per
/// advert interval (the shortest of the groups').
/// Writes never stop the protocol: the loop only takes snapshots; the documents are made
/// and written on <see cref="DocumentWriter"/>'s thread; a failure is logged once, and
/// retried at the next write. A plain command line (one group) keeps its one-group files
/// and STATUS line; --config mode has a groups array, group-labelled series and a summary.
/// </summary>
internal sealed class StatusPublisher : IDisposable
{
    readonly string? _stateFile;
    readonly string? _metricsFile;
    readonly bool _manyGroups;
    readonly ILog _log;
    readonly SystemdNotifier _notifier;
    /// <summary>How long the daemon's end waits for the final state file (STOPPED) to be written.</summary>
    static readonly TimeSpan FinalWrite = TimeSpan.FromSeconds(2);

    readonly Lock _writing = new();
    readonly DocumentWriter _writer = new();
    readonly WriteFailures _failures;                  // the writer's thread only
    volatile Watched[] _groups = [];                   // replaced whole: Stop reads it from a signal thread
    readonly List<Watched> _changed = [];              // told of a change since the last Tick (loop thread)
    long _refresh = Timing.Second;
    long _counters = -1;
    // Counters did not move at the last refresh: no deadline until a wake-up sees them move.
    bool _countersIdle;
    bool _regrouped;
    bool _started;
    long _lastWrite = long.MinValue / 2;
    long _nextPing;
    string? _status;
    bool _stopped;

    /// <summary>One group and what was last published of it; its election tells it of a change.</summary>
    sealed class Watched(PublishedGroup group, long sinceUnixMicros, List<Watched> changed) : IStandingWatcher
    {
        /// <summary>Replaced by each SetGroups that keeps the election (the daemon's own view of it, with its since and etcd session).</summary>
        public PublishedGroup Group = group;
        public Significant Last;
        public long SinceUnixMicros = sinceUnixMicros;
        public bool Changed;

        public void StandingChanged(IElection election)
        {
            if (!Changed)
            {
                Changed = true;
                changed.Add(this);
            }
        }
    }

    /// <summary>What is written at once when it changes; compared on every wake-up, so a few field reads.</summary>
    readonly record struct Significant(CarpState State, bool Eligible, IpAddress? Master, bool LinkDown, bool? Passing,
                                       long Transitions, SkewInUse Skew)
    {
        public static Significant Of(PublishedGroup g, long now) =>
            new(g.Machine.State, g.Machine.Eligible, g.Machine.MasterAddress(now), g.Machine.LinkIsDown,
                g.Health?.Policy.Passing, g.Machine.Counters.Transitions, g.Machine.Skew);
    }

    /// <param name="manyGroups">--config mode: the groups array, group labels, the STATUS summary.</param>
    public StatusPublisher(DaemonOptions options, bool manyGroups, ILog log, SystemdNotifier notifier, long now)
    {
        _stateFile = options.StateFile;
        _metricsFile = options.MetricsFile;
        _manyGroups = manyGroups;
        _log = log;
        _failures = new WriteFailures(log, LogLevel.Warning, Messages.FileWriteFailed, Messages.FileWriteRecovered);
        _notifier = notifier;
        _nextPing = now;
    }

    /// <summary>A plain command line's one group (until the daemon of many groups composes the publisher itself).</summary>
    public StatusPublisher(Configuration config, IElection machine, IFrameInput? frames, ScriptRunner scripts, HealthCheckRunner? health, ILog log,
                           SystemdNotifier notifier, long now, Func<long, Core.Monitoring.VrrpView?>? vrrp = null)
        : this(DaemonOptions.From(config), manyGroups: false, log, notifier, now) =>
        SetGroups([new PublishedGroup(DaemonConfiguration.CommandLineGroup, config, machine, frames, scripts, health) { Vrrp = vrrp }], now);

    /// <summary>
    /// The groups that run now: at start, and after every reload. A group that kept its
    /// election keeps its "since"; the documents are written at the next <see cref="Tick"/>
    /// (at once when <see cref="Start"/> has been called). Loop thread.
    /// </summary>
    public void SetGroups(IReadOnlyList<PublishedGroup> groups, long now)
    {
        Watched[] before = _groups;
        var after = new Watched[groups.Count];
        long wall = WallClock();
        long refresh = long.MaxValue;
        for (int i = 0; i < groups.Count; i++)
        {
            PublishedGroup g = groups[i];
            Watched? kept = Array.Find(before, w => w.Group.Name == g.Name && ReferenceEquals(w.Group.Machine, g.Machine));
            if (kept is null)
            {
                kept = new Watched(g, wall, _changed);
                g.Machine.Watch(kept);
                kept.StandingChanged(g.Machine);   // published at the next Tick
            }
            kept.Group = g;
            after[i] = kept;
            refresh = Math.Min(refresh, Timing.Interval(g.Settings.AdvBase, g.Settings.AdvSkew));
        }
        foreach (Watched w in before)
        {
            if (Array.IndexOf(after, w) < 0)
            {
                w.Group.Machine.Unwatch(w);
                _changed.Remove(w);
            }
        }
        _groups = after;
        // Counters alone refresh the files at most once per advert interval (a second at least).
        _refresh = Math.Max(groups.Count == 0 ? Timing.Second : refresh, Timing.Second);
        _regrouped = true;
        if (_started)
        {
            Tick(now);
        }
    }

    /// <summary>When <see cref="Tick"/> must run at the latest: a watchdog ping or a pending counter refresh.</summary>
    public long? NextDeadline
    {
        get
        {
            long? ping = _notifier.WatchdogInterval > 0 ? _nextPing : null;
            long? refresh = !HasFiles ? null : _lastWrite + (_countersIdle ? Heartbeat : Math.Min(_refresh, Heartbeat));
            return ping is null ? refresh : refresh is null ? ping : Math.Min(ping.Value, refresh.Value);
        }
    }

    bool HasFiles => _stateFile is not null || _metricsFile is not null || Endpoint is not null;

    /// <summary>--metrics-listen: handed every metrics document the files get (set once, before <see cref="Start"/>).</summary>
    public MetricsEndpoint? Endpoint { get; set; }

    /// <summary>
    /// The files are rewritten this often at least, changed or not (µs): their written
    /// timestamp then tells a live daemon from one killed without a word, whose files
    /// would otherwise look current for ever.
    /// </summary>
    const long Heartbeat = 10_000_000;

    /// <summary>The interfaces are set up: the first documents, then READY=1 for systemd.</summary>
    public void Start(long now)
    {
        _started = true;
        Tick(now);
        _notifier.Send("READY=1");
    }

    /// <summary>
    /// A reload began (RELOADING=1, with the monotonic time systemd asks for) or ended
    /// (READY=1): `systemctl reload` and `systemctl status` show the unit reloading meanwhile.
    /// </summary>
    public void Reloading(bool started, long now) =>
        _notifier.Send(started ? "RELOADING=1\nMONOTONIC_USEC=" + now.ToString(System.Globalization.CultureInfo.InvariantCulture) : "READY=1");

    public void Tick(long now)
    {
        if (_notifier.WatchdogInterval > 0 && now >= _nextPing)
        {
            _notifier.Send("WATCHDOG=1");
            _nextPing = now + _notifier.WatchdogInterval;
        }
        Watched[] groups = _groups;
        bool changed = _regrouped;
        _regrouped = false;
        long wall = 0;
        // The groups whose election said something changed; the others are as last published.
        foreach (Watched w in _changed)   // List<T>'s enumerator is a struct: no allocation
        {
            w.Changed = false;
            Significant seen = Significant.Of(w.Group, now);
            if (seen == w.Last)
            {
                continue;
            }
            if (seen.State != w.Last.State || seen.Transitions != w.Last.Transitions)
            {
                w.SinceUnixMicros = wall = wall != 0 ? wall : WallClock();
            }
            w.Last = seen;
            changed = true;
        }
        _changed.Clear();
        if (changed)
        {
            string? status = StatusLine(groups);
            if (status is not null && status != _status)
            {
                _status = status;
                _notifier.Send("STATUS=" + status);
            }
        }
        if (!HasFiles)
        {
            return;
        }
        if (!changed && _countersIdle)
        {
            // Nothing was due: only a wake-up that moved a counter brings the refresh back.
            _countersIdle = CountersNow(groups) == _counters;
        }
        bool beat = now >= _lastWrite + Heartbeat;
        if (changed || beat || (!_countersIdle && now >= _lastWrite + _refresh))
        {
            long counters = CountersNow(groups);
            if (!changed && !beat && counters == _counters)
            {
                _countersIdle = true;
                return;
            }
            _lastWrite = now;
            _counters = counters;
            _countersIdle = false;
            Write(Snapshots(groups, now, stopped: false));
        }
    }

    /// <summary>SIGUSR1's line for a plain command line; the summary of roles in --config mode.</summary>
    string? StatusLine(Watched[] groups)
    {
        if (_manyGroups)
        {
            return StatusSummary.Line(Array.ConvertAll(groups, w => StatusSnapshot.NameOf(w.Last.State, stopped: false, w.Group.Held)));
        }
        if (groups.Length == 0)
        {
            return null;
        }
        Significant s = groups[0].Last;
        Configuration c = groups[0].Group.Settings;
        return RoleEffects.StatusLine(s.State, s.Eligible, s.Skew, c.Interface!, c.Vhid);
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
            // As the metrics file is removed: a daemon on its way out is no longer scraped as MASTER.
            Endpoint?.Publish(null);
            state = _stateFile is null ? null : StateText(Snapshots(_groups, now, stopped: true));
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
                Replace(_stateFile!, state);
            }
            if (_metricsFile is not null)
            {
                try
                {
                    File.Delete(_metricsFile);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Report(_metricsFile, e.Message);
                }
            }
        }, FinalWrite);
    }

    void Write(StatusSnapshot[] snapshots)
    {
        lock (_writing)
        {
            if (_stopped)
            {
                return;
            }
            // The loop took the snapshots (the machines are read on its thread); text and I/O are the writer's.
            _writer.Post(() =>
            {
                // HTTP first: a hung state file's mount must not freeze the scrapes too.
                string? metrics = _metricsFile is not null || Endpoint is not null
                    ? OneGroup(snapshots) ? MetricsDocument.Build(snapshots[0]) : MetricsDocument.Build(snapshots) : null;
                if (metrics is not null)
                {
                    Endpoint?.Publish(metrics);
                }
                if (_stateFile is not null)
                {
                    Replace(_stateFile, StateText(snapshots));
                }
                if (_metricsFile is not null)
                {
                    Replace(_metricsFile, metrics!);
                }
            });
        }
    }

    string StateText(StatusSnapshot[] snapshots) =>
        OneGroup(snapshots) ? StateDocument.Build(snapshots[0]) : StateDocument.Build(snapshots, Environment.ProcessId,
                                                                           snapshots.Length == 0 ? WallClock() : snapshots[0].NowUnixMicros);

    /// <summary>A plain command line's files are today's one-group documents.</summary>
    bool OneGroup(StatusSnapshot[] snapshots) => !_manyGroups && snapshots.Length == 1;

    /// <summary>Replaces the file's content, and says so when that fails or works again.</summary>
    void Replace(string path, string content) => Report(path, AtomicFile.TryReplace(path, content, out SysError error) ? null : error.Text);

    void Report(string path, string? error) => _failures.Report(path, error);

    /// <summary>A sum that moves whenever any group's counter does; read once per refresh, not per wake-up.</summary>
    static long CountersNow(Watched[] groups)
    {
        long sum = 0;
        foreach (Watched w in groups)
        {
            PublishedGroup g = w.Group;
            CarpCounters c = g.Machine.Counters;
            sum += c.Transitions + c.AdvertsSent + c.AdvertSendErrors + c.AdvertsReceived + (g.Frames?.RejectedTotal ?? 0)
                   + (g.Scripts?.Runs ?? 0) + (g.Scripts?.Failures ?? 0) + (g.Health?.Policy.Runs ?? 0);
            // etcd's reachability, lease and fences move no election counter: they count as one
            // (a hash, not a sum: a fence drops the lease as it counts, and a sum could cancel).
            if (g.Etcd?.Invoke(0) is { } e)
            {
                sum += HashCode.Combine(e.Reachable, e.Lease, e.Fences);
            }
        }
        return sum;
    }

    static StatusSnapshot[] Snapshots(Watched[] groups, long now, bool stopped)
    {
        long wall = WallClock();
        return Array.ConvertAll(groups, w => Snapshot(w, now, wall, stopped));
    }

    static StatusSnapshot Snapshot(Watched w, long now, long wall, bool stopped) => GroupSnapshots.Of(w.Group, w.SinceUnixMicros, now, wall, stopped);

    static long WallClock() => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / 10;

    public void Dispose() => _notifier.Dispose();
}
