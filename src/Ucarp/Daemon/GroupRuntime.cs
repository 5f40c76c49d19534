using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Config;
using Ucarp.Core.Election;
using Ucarp.Core.Follow;
using Ucarp.Core.Groups;
using Ucarp.Core.Logging;
using Ucarp.Core.Vrrp;
using Ucarp.Etcd;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Daemon;

/// <summary>
/// One group at run time: its election (behind its gates), what follows its role (its
/// follower, with its own script runner), its health check and its share of the
/// interface's socket. A group is data and a timer; it owns no thread.
/// </summary>
internal sealed class GroupRuntime : IRoleObserver, IDisposable
{
    readonly SendSocket? _sender;            // etcd mode: the interface's send-only socket
    readonly UnicastSocket? _unicast;
    bool _joined;
    /// <summary>--vmac: the group's macvlan child (its <see cref="Interface"/>) and who made it.</summary>
    (VmacChild Child, VirtualMacs Owner)? _vmac;

    GroupRuntime(GroupOptions options, ILog log, InterfaceEntry iface, InterfaceSocket? shared, SendSocket? own,
                 UnicastSocket? unicast, SharedEtcd? etcd, GroupOutput output, ElectionBase machine, HealthCheckRunner? health)
    {
        Options = options;
        Log = log;
        Interface = iface;
        Shared = shared;
        _sender = own;
        _unicast = unicast;
        Etcd = etcd;
        Output = output;
        Machine = machine;
        // One delegate for both: the gate and the address results tell the group clock.
        Action touch = Touch;
        Gate = new ElectionGate(machine) { Moved = touch };
        output.Touched = touch;
        machine.Subscribe(this);
        Health = health;
    }

    public GroupOptions Options { get; private set; }
    public Configuration Config => Options.Settings;
    public string Name => Options.Name;
    public ILog Log { get; }
    public InterfaceEntry Interface { get; }
    /// <summary>The interface's shared socket (CARP groups): frames come through it, adverts leave by it.</summary>
    public InterfaceSocket? Shared { get; }
    /// <summary>The etcd session the group shares with the daemon's other etcd groups.</summary>
    public SharedEtcd? Etcd { get; }
    /// <summary>The etcd password it was made with (read from its file off the loop): a group held back later starts again with it.</summary>
    public string? EtcdPassword { get; private init; }
    /// <summary>Follow mode's way to etcd, through the client it shares with the follow groups reaching the same etcd.</summary>
    public FollowChannel? FollowEtcd { get; private init; }
    /// <summary>Follow mode's election, which takes its client's replies.</summary>
    public Core.Etcd.IEtcdReplies? OwnReplies { get; private init; }
    public GroupOutput Output { get; }
    public ScriptRunner Scripts => Output.Scripts;
    public ElectionBase Machine { get; }
    /// <summary>What follows the group's role: scripts, addresses, announcements, what waits for them.</summary>
    public RoleFollower Follower => Machine.Follower;
    /// <summary>A CARP group's election, which takes the frames routed to the group.</summary>
    public IFrameInput? Frames { get; private init; }
    /// <summary>The lease election (etcd mode without --follow-key).</summary>
    public Core.Etcd.EtcdElection? EtcdElection { get; private init; }
    /// <summary>The election as the daemon, monitoring and the health policy see it.</summary>
    public ElectionGate Gate { get; }
    public HealthCheckRunner? Health { get; }
    public IpAddress AdvertDestination => Options.AdvertDestination;

    /// <summary>A VRRP group's election, for its priorities.</summary>
    Core.Vrrp.VrrpMachine? Vrrp { get; init; }

    /// <summary>A VRRP group's version and priorities, as monitoring shows them; null for the others.</summary>
    public Core.Monitoring.VrrpView? VrrpView(long now) => Vrrp?.View(now);

    /// <summary>Follow mode's election, for its reachability.</summary>
    Core.Etcd.FollowElection? Following { get; init; }

    /// <summary>etcd's side of an etcd or follow group, as monitoring shows it; null for CARP.</summary>
    public Core.Monitoring.EtcdHealth? EtcdHealth(long now) =>
        Etcd is not null ? Etcd.Session.Health(now) : Following is { } f ? new(f.Reachable, null, null, 0) : null;

    /// <summary>Wall-clock microseconds of the last state change, or the start (for ucarpctl status).</summary>
    public long SinceUnixMicros { get; private set; }

    public void RoleChanged(ElectionBase election, CarpState from, CarpState to, long now) => SinceUnixMicros = WallClock.NowMicros();

    /// <summary>Being stopped (removed or changed by a reload, its interface gone, the daemon ending).</summary>
    public bool Stopping { get; private set; }
    public long StoppedAt { get; private set; }

    // The group clock's bookkeeping (GroupClock): its index in the clock's tables, whether
    // it waits to be computed again, the rebuild it belongs to (and the index with it), and
    // whether the reaper polls its child.
    internal int ClockId = -1;
    internal bool ClockDirty;
    /// <summary>Touched only by a frame that changed nothing but its election's timers (GroupClock.TouchElection).</summary>
    internal bool ClockElectionOnly;
    /// <summary>Handed out by the clock's TakeDue in this pass; computed again when the pass is over.</summary>
    internal bool ClockTaken;
    /// <summary>The group's due time apart from its election's, as last computed in full.</summary>
    internal long? ClockOthers;
    internal int ClockStamp = -1;
    internal bool HasChildPolled;
    /// <summary>The clock that keeps this group's due time (set when it is first counted).</summary>
    internal GroupClock? Clock;

    /// <summary>Something ran this group's code: the clock looks at its deadlines again.</summary>
    public void Touch() => Clock?.Touch(this);

    /// <summary>Stages of <see cref="Prefetch"/>: each reads only what the one before fetched.</summary>
    public const int PrefetchStages = 4;

    /// <summary>
    /// Fetches ahead what the frame path and the timers read of group <paramref name="g"/>,
    /// one level per stage (the group; its gate, output and election; their parts; their
    /// arrays), each stage for a batch of groups before the next (see
    /// <see cref="Core.CacheLines"/>). Static, so that stage 0 reads nothing of the group:
    /// an instance call would load its first line to check it for null, and wait for it.
    /// </summary>
    public static void Prefetch(GroupRuntime? g, int stage)
    {
        if (g is null)
        {
            return;
        }
        switch (stage)
        {
            case 0:
                Core.CacheLines.Prefetch(g, 4);
                break;
            case 1:
                Core.CacheLines.Prefetch(g.Gate, 1);
                Core.CacheLines.Prefetch(g.Output, 2);
                Core.CacheLines.Prefetch(g.Machine, ElectionBase.PrefetchLines);
                break;
            default:
                g.Machine.Prefetch(stage - 1);
                break;
        }
    }

    /// <summary>A frame ran this group's election, which was and stayed BACKUP (see GroupClock.TouchElection).</summary>
    public void TouchElection() => Clock?.TouchElection(this);

    // ppoll indexes of the last wait (-1: not polled).
    public int ScriptPoll { get; set; } = -1;
    public int HealthPoll { get; set; } = -1;

    /// <summary>A reload kept the group: the file's new declaration (its line may have moved) takes the old one's place.</summary>
    public void Renew(GroupOptions options) => Options = options;

    /// <summary>
    /// Everything the group needs before it can start, found or opened with ucarp's
    /// messages: the interface, its socket, the peers' socket, etcd. Null after logging
    /// why; nothing has been started then (the caller disposes what it made).
    /// </summary>
    public static GroupRuntime? Prepare(GroupOptions options, ILog log, HostInterfaces interfaces, IReadOnlyList<string> environment,
                                        EtcdSessions sessions, string? etcdPassword, bool probeEtcd, Net.AddressChanger? addresses)
    {
        Configuration config = options.Settings;
        // A VRRP group may have no password (version 3 never has one).
        byte[] password = CStrings.Bytes(config.Password ?? "");
        if (password.Length > Core.Wire.CarpHmac.MaxPasswordBytes)
        {
            log.Write(LogLevel.Error, Messages.PasswordTooLong);
            return null;
        }
        InterfaceEntry? iface = interfaces.Find(config.Interface!, log);
        if (iface is null)
        {
            return null;
        }
        (VmacChild Child, VirtualMacs Owner)? vmac = null;
        if (VmacWanted.Of(options) is VmacWanted wanted)
        {
            // The child is the group's interface from here on: a peer's adverts from the
            // virtual MAC reach only the child of that MAC (macvlan hands a multicast frame
            // from a child's own MAC to that child alone), and so do the others' once the
            // child has joined the group; frames leave by it, addresses go on it.
            if (interfaces.Vmacs.Acquire(wanted, iface, log) is not VmacChild child)
            {
                return null;
            }
            vmac = (child, interfaces.Vmacs);
            if ((iface = interfaces.Find(child.Name, log)) is null)
            {
                ReleaseVmac(vmac, log, addresses);
                return null;
            }
        }
        bool etcdMode = config.EtcdEndpoints.Count != 0;
        InterfaceSocket? shared = null;
        SendSocket? own = null;
        if (etcdMode)
        {
            if ((own = interfaces.Sender(iface, config.SourceAddress, log)) is null)
            {
                return null;
            }
        }
        else if ((shared = interfaces.Socket(iface, config.SourceAddress, log)) is null)
        {
            ReleaseVmac(vmac, log, addresses);
            return null;
        }
        // The kernel filter is what ucarp's pcap rule says; -D shows the rule as ucarp does.
        log.Write(LogLevel.Debug, Messages.BpfRule(config.SourceAddress.ToString()));
        UnicastSocket? unicast = null;
        SharedEtcd? etcd = null;
        FollowChannel? followEtcd = null;
        Core.Etcd.FollowSettings? follow = config.FollowKey is string followed
            ? new Core.Etcd.FollowSettings(followed, config.FollowValue ?? Environment.MachineName) : null;
        try
        {
            if (config.Peers.Count != 0)
            {
                if (!UnicastSocket.TryOpen(config.Peers, iface.Index, out unicast, out SysError unicastError,
                                           plainChecksum: config.Vrrp == 3 && config.VrrpChecksumRfc))
                {
                    log.Write(LogLevel.Error, Messages.OpenPeerSocket(unicastError.Perror));
                    return Fail();
                }
            }
            if (etcdMode && follow is not null)
            {
                // Follow mode only reads one key: outside the election's session, on a channel of its own.
                if ((followEtcd = sessions.Follow(config, log, etcdPassword, probeEtcd)) is null)
                {
                    return Fail();
                }
            }
            else if (etcdMode && (etcd = sessions.For(config, log, etcdPassword, probeEtcd)) is null)
            {
                return Fail();
            }
            PacketSocket sender = own?.Socket ?? shared!.Socket;
            var output = new GroupOutput(log, sender, unicast, environment, iface.Name, (IEtcdSender?)etcd?.Client ?? followEtcd, addresses,
                                         interfaces.Adverts);
            CarpSettings settings = CarpSettings.From(config, password, iface.Mac);
            CarpMachine? carp = null;
            VrrpMachine? vrrp = null;
            Core.Etcd.FollowElection? following = null;
            Core.Etcd.EtcdElection? leased = null;
            ElectionBase machine = config.Vrrp != 0
                ? vrrp = new VrrpMachine(settings, VrrpSettings.From(config, password), output, new SystemCarpRandom())
                : !etcdMode
                ? carp = new CarpMachine(settings, output, new SystemCarpRandom())
                : follow is not null
                ? following = new Core.Etcd.FollowElection(settings, follow, output)
                : leased = new Core.Etcd.EtcdElection(settings, new Core.Etcd.EtcdSettings { Key = EtcdOptions.Key(config), Host = Environment.MachineName },
                                                      output, etcd!.Session);
            output.Follower = machine.Follower;
            HealthCheckRunner? health = config.Check is null ? null
                : new HealthCheckRunner(config, log, environment, MonotonicClock.NowMicroseconds);
            var g = new GroupRuntime(options, log, iface, shared, own, unicast, etcd, output, machine, health)
            {
                EtcdPassword = etcdPassword, FollowEtcd = followEtcd, OwnReplies = following, Frames = (IFrameInput?)carp ?? vrrp, EtcdElection = leased, Vrrp = vrrp,
                Following = following, _vmac = vmac,
            };
            if (followEtcd is not null)
            {
                followEtcd.Owner = following;
            }
            etcd?.Retain(g);
            return g;
        }
        catch
        {
            Fail();
            throw;
        }

        GroupRuntime? Fail()
        {
            followEtcd?.Dispose();
            unicast?.Dispose();
            own?.Drop();
            shared?.Drop(null);
            ReleaseVmac(vmac, log, addresses);
            return null;
        }
    }

    /// <summary>The group lets its --vmac child go: removed with its last holder, after the group's address changes (on their thread).</summary>
    static void ReleaseVmac((VmacChild Child, VirtualMacs Owner)? vmac, ILog log, Net.AddressChanger? addresses)
    {
        if (vmac is var (child, owner))
        {
            owner.Release(child, log, addresses);
        }
    }

    /// <summary>Joins the group's multicast group when it sends to one; false after logging ucarp's error.</summary>
    public bool Join(MulticastMemberships memberships)
    {
        // With peers no group is joined: nothing is sent to it; etcd sends no adverts.
        if (Config.NoMulticast || Config.Peers.Count != 0 || Etcd is not null || FollowEtcd is not null)
        {
            return true;
        }
        _joined = memberships.Join(Interface.Index, Config.MulticastAddress, Config.SourceAddress, Interface.Name, Log);
        return _joined;
    }

    public void Leave(MulticastMemberships memberships)
    {
        if (_joined)
        {
            memberships.Leave(Interface.Index, Config.MulticastAddress);
            _joined = false;
        }
    }

    /// <summary>
    /// The health check's first verdict is awaited, then the election starts; one of many
    /// (--config) at its own place in its advert interval, one of <paramref name="slots"/>
    /// (0: a plain command line, which starts as ucarp does).
    /// </summary>
    public void Start(long now, int slots)
    {
        Machine.StartPhase = slots > 0 ? Core.Groups.StartPhase.Of(Name, Config, slots) : 0;
        Health?.Policy.Begin(Gate, now);
        Gate.Start(now);
        SinceUnixMicros = WallClock.NowMicros();
    }

    /// <summary>Stops the group as -z would: the downscript when not BACKUP, the bow-out when MASTER.</summary>
    public void Stop(long now, bool runDownscript)
    {
        if (Stopping)
        {
            return;
        }
        MarkStopped(now);
        if (runDownscript)
        {
            Gate.Shutdown(now);
        }
    }

    /// <summary>Marks the group stopped without telling its election (it was told already: its interface is gone).</summary>
    public void MarkStopped(long now)
    {
        Stopping = true;
        StoppedAt = now;
        Gate.MarkStopping();
        // No more frames for it, and its vhid is free for the group that may take its place.
        Shared?.Unroute(this);
    }

    const long ReleaseWait = 2_000_000;       // µs a stopping etcd group waits for its revoke to be answered

    /// <summary>A stopping group is done: its scripts, bow-out and etcd release are over (the release for at most 2 s).</summary>
    public bool Finished(long now)
    {
        bool releasing = EtcdElection is { Releasing: true } && now - StoppedAt < ReleaseWait;
        return Stopping && Follower.Done && !releasing;
    }

    /// <summary>Reaps the group's script if it has exited, and tells the follower (which may start the next).</summary>
    public void ReapScript()
    {
        if (Scripts.TryReap())
        {
            Follower.ScriptEnded();
        }
    }

    /// <summary>Blocks until every queued script has run (and its addresses changed): ucarp waits for its scripts before it exits.</summary>
    public void WaitForScripts()
    {
        while (!Follower.Idle)
        {
            if (Scripts.TryReap())
            {
                Follower.ScriptEnded();
            }
            else
            {
                Output.Addresses?.TellDone();
                Thread.Sleep(10);
            }
        }
    }

    bool _disposed;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Shared?.Drop(this);
        Health?.Dispose();
        FollowEtcd?.Dispose();
        if (EtcdElection is not null)
        {
            EtcdElection.Session.Detach(EtcdElection);
            Etcd!.Drop(this, MonotonicClock.NowMicroseconds);
        }
        _unicast?.Dispose();
        _sender?.Drop();
        Scripts.Dispose();
        ReleaseVmac(_vmac, Log, Output.Addresses);
    }
}
