using Ucarp.Core;
using Ucarp.Core.Cli;
using Ucarp.Core.Config;
using Ucarp.Core.Groups;
using Ucarp.Core.Logging;
using Ucarp.Etcd;
using Ucarp.Interop;
using Ucarp.Linux;
using Ucarp.Monitoring;

namespace Ucarp.Daemon;

/// <summary>
/// Every group of the daemon and their lifecycle: made ready and started, stopped (a
/// reload, a lost interface, the daemon ending) and kept until their scripts are done,
/// replaced once what they replace has let go. A plain command line is a set of one.
/// The sources of the event loop act on groups through it; the reload is in
/// GroupSet.Reload.cs.
/// </summary>
internal sealed partial class GroupSet : IDisposable
{
    readonly Logger _log;
    readonly bool _many;                      // --config: many groups, named in the log
    readonly HostInterfaces _interfaces;
    readonly MulticastMemberships _memberships = new();
    readonly IReadOnlyList<string> _environment;
    readonly List<GroupRuntime> _groups = [];      // running, in the file's order
    readonly List<GroupRuntime> _leaving = [];     // stopped (reload, interface gone), finishing their scripts
    readonly List<GroupRuntime> _waiting = [];     // prepared by a reload, started once what they replace has left
    readonly SyncCoordinator _sync;
    Dictionary<string, int> _fileOrder = new(StringComparer.Ordinal);
    StatusPublisher? _publisher;

    public GroupSet(Logger log, bool many, HostInterfaces interfaces, IReadOnlyList<string> environment, EtcdSessions etcd)
    {
        _log = log;
        _many = many;
        _interfaces = interfaces;
        _environment = environment;
        Etcd = etcd;
        Clock = new GroupClock(this);
        _sync = new SyncCoordinator((group, line) => (_groups.Find(g => g.Name == group)?.Log ?? LogFor(group)).Write(LogLevel.Warning, line));
    }

    public EtcdSessions Etcd { get; }

    /// <summary>When each group needs the loop next (the timers, the reaper and the lifecycle look only at those due).</summary>
    public GroupClock Clock { get; }

    /// <summary>Where every group's managed addresses are changed, off the protocol's thread.</summary>
    public Net.AddressChanger Addresses { get; } = new();

    public ILog Log => _log;
    public bool Many => _many;
    public HostInterfaces Interfaces => _interfaces;

    /// <summary>How many slots of their interval the file's groups start in (0: a plain command line; see StartPhase).</summary>
    int StartSlots => _many ? Core.Groups.StartPhase.SlotsFor(_fileOrder.Count) : 0;

    /// <summary>The running groups, in the file's order.</summary>
    public List<GroupRuntime> Running => _groups;

    /// <summary>The daemon is ending: groups finish their scripts, nothing new starts.</summary>
    public bool Stopping { get; private set; }
    /// <summary>The daemon is dying in a signal handler that removes its --vmac children (<see cref="VirtualMacs.Dying"/>).</summary>
    public bool Dying => _interfaces.Vmacs.Dying;

    /// <summary>Some group belongs to a sync set: the rule is looked at after every pass.</summary>
    public bool HasSync { get; private set; }

    public SyncCoordinator Sync => _sync;

    /// <summary>`ucarpctl demote` without a group, until `promote` without one: a group a reload adds starts demoted too.</summary>
    public bool AllDemoted { get; set; }

    /// <summary>The demotions --demotion-file kept from before a restart, applied by <see cref="StartAll"/>.</summary>
    public Core.Control.Demotions Kept { get; set; } = Core.Control.Demotions.None;

    /// <summary>Each group and whether ucarpctl has it demoted, running and held back alike, in the file's order.</summary>
    public List<(string Name, bool Demoted)> DemotedNow() =>
        RunningThenHeld(g => (g.Name, g.Gate.ReasonOf(GateReason.Control) is not null), h => (h.Name, h.Gate.ReasonOf(GateReason.Control) is not null));

    /// <summary>What each running group gives, then what each held one does: every group of the file.</summary>
    public List<T> RunningThenHeld<T>(Converter<GroupRuntime, T> running, Converter<HeldGroup, T> held)
    {
        List<T> all = _groups.ConvertAll(running);
        all.AddRange(_held.ConvertAll(held));
        return all;
    }

    /// <summary>The running groups, then the leaving ones: indexed, so a wake-up allocates nothing.</summary>
    public int Count => _groups.Count + _leaving.Count;
    public GroupRuntime this[int i] => i < _groups.Count ? _groups[i] : _leaving[i - _groups.Count];

    /// <summary>Every group is done and the daemon may exit.</summary>
    public bool Finished(long now)
    {
        // A loop, not TrueForAll with a lambda: the lambda's capture of now was allocated on
        // every call, stopping or not, and GroupLifecycle asks twice per pass (48 bytes).
        if (!Stopping || _leaving.Count != 0)
        {
            return false;
        }
        foreach (GroupRuntime g in _groups)
        {
            if (!g.Finished(now))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The log a group writes to: the daemon's own on a plain command line, else one that names the group.</summary>
    public ILog LogFor(string group) => _many ? new GroupLog(_log, group) : _log;

    /// <summary>Monitoring of every group; set once before the loop runs.</summary>
    public void Attach(StatusPublisher publisher)
    {
        _publisher = publisher;
        publisher.SetGroups(PublishedGroups(), MonotonicClock.NowMicroseconds);
    }

    /// <summary>
    /// Makes every group ready (interfaces, sockets, etcd) before any starts, so a group
    /// that cannot start stops the daemon before anything was done on the host. Then, in
    /// the file's order, each joins its multicast group and starts. Returns the exit status
    /// ucarp would give when something failed (2), else 0. With --config a group whose
    /// interface is missing or down, or that cannot be made ready, is held back alone
    /// (<see cref="Hold"/>) and the others start.
    /// </summary>
    public int StartAll(IReadOnlyList<GroupOptions> groups, Func<GroupOptions, string?> etcdPassword, bool probeEtcd, long now)
    {
        var prepared = new List<GroupRuntime>();
        _fileOrder = Order(groups);
        // Groups that start in step are heard in one burst: their sockets' rings hold it.
        _interfaces.RingSlots = Linux.ReceiveRing.SlotsFor(StartSlots);
        Etcd.ReadTls(Lists.ConvertAll(groups, g => g.Settings));
        foreach (GroupOptions options in groups)
        {
            string? password = etcdPassword(options);
            if (!_many)
            {
                if (Prepare(options, _log, password, probeEtcd) is not GroupRuntime only)
                {
                    return 2;
                }
                prepared.Add(only);
                continue;
            }
            if (TryMakeReady(options, password, LogFor(options.Name), probeEtcd, quiet: false, now, out string? problem, out long retryAt) is GroupRuntime g)
            {
                prepared.Add(g);
                continue;
            }
            Hold(options, password, problem!, KeptDemotion(options.Name), now, retryAt);
        }
        foreach (GroupRuntime g in prepared.ToArray())
        {
            // --config: nothing has run yet, and a group that cannot take its vhid or join its
            // multicast group (logged) waits alone; a command line joins after its start.
            if (Register(g) && (!_many || g.Join(_memberships)))
            {
                continue;
            }
            if (!_many)
            {
                prepared.ForEach(p => p.Dispose());
                return 2;
            }
            prepared.Remove(g);
            Hold(g.Options, etcdPassword(g.Options), Messages.HeldNotReady(Messages.HeldCannotJoin), KeptDemotion(g.Name), now, retryAt: now + NotReadyRetry);
            g.Leave(_memberships);
            g.Dispose();
        }
        // Making groups ready can take a while (etcd is probed): they start on the clock's
        // time, not the caller's; all on the same reading, so that the groups of a start
        // slot are due together (StartPhase). Read again for each, 4,080 groups started
        // over tens of milliseconds, and a master woke for every few of them, 300 to 400
        // times a second instead of once a slot.
        now = MonotonicClock.NowMicroseconds;
        foreach (GroupRuntime g in prepared)
        {
            _groups.Add(g);
            // Demoted before a restart: out of the election from its first moment.
            if (KeptDemotion(g.Name) is string demoted)
            {
                g.Gate.Close(GateReason.Control, demoted, now);
            }
            g.Start(now, StartSlots);
            ApplyLinkState(g, now);
        }
        if (!_many && !prepared[0].Join(_memberships))
        {
            // ucarp joins after its start-up: the downscript it asked for is waited for.
            prepared[0].WaitForScripts();
            return 2;
        }
        // The loop runs from here: a --vmac child is made ahead of its group, off its thread.
        _interfaces.Vmacs.Inline = false;
        // After the holds: a group promoted alone since `demote --all` is not held demoted.
        AllDemoted = Kept.All;
        GroupsChanged(now);
        return 0;
    }

    string? KeptDemotion(string name) => Kept.IsDemoted(name) ? Messages.DemotedByControl : null;

    GroupRuntime? Prepare(GroupOptions options, ILog log, string? etcdPassword, bool probeEtcd) =>
        GroupRuntime.Prepare(options, log, _interfaces, _environment, Etcd, etcdPassword, probeEtcd, Addresses);

    /// <summary>Routes the group's frames to it; false (logged) when another group already has its vhid there.</summary>
    bool Register(GroupRuntime g)
    {
        if (g.Shared is null)
        {
            return true;
        }
        if (!g.Shared.TryRoute(g, out GroupRuntime? holder))
        {
            g.Log.Write(LogLevel.Error, Messages.ConfigDuplicateVhid(g.Config.Vhid, g.Interface.Name, g.AdvertDestination.ToString(), holder.Name, holder.Options.Line));
            return false;
        }
        if (!g.Shared.TryAddSource(g, out SysError filterError))
        {
            g.Log.Write(LogLevel.Warning, Messages.OpenInterface(g.Interface.Name, filterError.Perror));
        }
        return true;
    }

    /// <summary>A group started while its carrier is down hears of it at once, as if it had been running.</summary>
    static void ApplyLinkState(GroupRuntime g, long now)
    {
        if (g.Interface.LinkDown && !g.Config.IgnoreInterfaceState)
        {
            g.Gate.LinkDown(now);
        }
    }

    /// <summary>Moves whenever the set of running groups changes (sources that look at it only then).</summary>
    public int Generation { get; private set; }

    /// <summary>The set of groups changed: sync sets and monitoring see the new one.</summary>
    void GroupsChanged(long now)
    {
        Generation++;
        Clock.TouchAll();
        _groups.Sort((a, b) => _fileOrder.GetValueOrDefault(a.Name).CompareTo(_fileOrder.GetValueOrDefault(b.Name)));
        HasSync = _groups.Exists(g => g.Config.SyncSet is not null);
        // Every time, sets or not: gates a vanished set had closed must open, and a set
        // that comes back later must not meet its old members' state.
        // A held group keeps its place in its set: out of the election, so its mates stay out.
        _sync.SetMembers(RunningThenHeld(g => (g.Name, g.Config.SyncSet, g.Gate, g.Config.VirtualAddress),
                                         h => (h.Name, h.Options.Settings.SyncSet, h.Gate, h.Options.Settings.VirtualAddress)), now);
        _publisher?.SetGroups(PublishedGroups(), now);
    }

    /// <summary>Every group monitoring shows, held ones too, in the file's order.</summary>
    public List<PublishedGroup> PublishedGroups() =>
        Lists.SortedBy(RunningThenHeld<PublishedGroup>(Published, Published), p => FileOrder(p.Name));

    static PublishedGroup Published(GroupRuntime g) =>
        new(g.Name, g.Config, g.Gate, g.Frames, g.Scripts, g.Health) { Since = () => g.SinceUnixMicros, Etcd = g.EtcdHealth, Vrrp = g.VrrpView, Stopping = () => g.Stopping };

    static PublishedGroup Published(HeldGroup h) =>
        new(h.Name, h.Options.Settings, h.Gate, null, null, null, Held: true) { Since = () => h.SinceUnixMicros };

    /// <summary>Disposes the leaving groups that are done, then starts the waiting ones nothing stands in the way of.</summary>
    public void FinishLeaving(long now)
    {
        if (_leaving.Count == 0 && _waiting.Count == 0)
        {
            return;
        }
        for (int i = 0; i < _leaving.Count; i++)
        {
            GroupRuntime g = _leaving[i];
            if (g.Finished(now))
            {
                _leaving.RemoveAt(i--);
                Clock.TouchAll();
                g.Leave(_memberships);
                g.Dispose();
                ForgetUnusedInterfaces();
            }
        }
        if (Stopping)
        {
            return;
        }
        bool started = false;
        for (int i = 0; i < _waiting.Count; i++)
        {
            GroupRuntime g = _waiting[i];
            // An address moving from a leaving group waits for that group's downscript (or
            // removal): the new owner must not add it before the old one has let it go.
            if (_leaving.Exists(l => SharesAddress(l.Config, g.Config)))
            {
                continue;
            }
            _waiting.RemoveAt(i--);
            if (!Register(g) || !g.Join(_memberships))
            {
                // Logged. With --config the group waits (its placeholder stays, or one is
                // made), tried again later, rather than vanish from status and the file's set.
                if (_held.Find(h => h.Name == g.Name) is HeldGroup held)
                {
                    held.NextTry = now + NotReadyRetry;
                }
                else if (_many)
                {
                    Hold(g.Options, g.EtcdPassword, Messages.HeldNotReady(Messages.HeldCannotJoin), g.Gate.ReasonOf(GateReason.Control), now, now + NotReadyRetry);
                    GroupsChanged(now);
                }
                g.Dispose();
                ForgetUnusedInterfaces();
                continue;
            }
            Unhold(g, now);
            _groups.Add(g);
            g.Start(now, StartSlots);
            ApplyLinkState(g, now);
            started = true;
        }
        if (started)
        {
            GroupsChanged(now);
        }
    }

    static bool SharesAddress(Configuration a, Configuration b) => Lists.Any(b.Addresses(), a.HasAddress);

    /// <summary>
    /// A termination signal: every group stops (-z is each group's: with it, the downscript
    /// when not BACKUP). <paramref name="releaseAddresses"/> (the loop failed): the downscript
    /// runs whatever -z says, so no address is left behind by a daemon that is going away.
    /// </summary>
    public void StopAll(long now, bool releaseAddresses = false)
    {
        if (Stopping)
        {
            return;
        }
        Stopping = true;
        Clock.TouchAll();
        // First: the groups then leave their keys to the lease's revoke, one request for all.
        Etcd.StopAll(now);
        foreach (GroupRuntime g in _groups)
        {
            // Without -z the group simply ends with the daemon (ucarp without -z dies at once).
            g.Stop(now, runDownscript: releaseAddresses || g.Config.ShutdownAtExit);
        }
    }

    public void Dispose()
    {
        // The loop is over: the children go now, each with its line, not behind the address thread.
        _interfaces.Vmacs.Ending = true;
        foreach (GroupRuntime g in AllGroups())
        {
            g.Dispose();
        }
        _memberships.Dispose();
        Addresses.Dispose();
    }
}
