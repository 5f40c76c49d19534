using Ucarp.Core.Carp;
using Ucarp.Core.Etcd;
using Ucarp.Core.Follow;
using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Daemon;

/// <summary>
/// Where one group's effects leave the process: adverts and announcements by its
/// interface's packet socket (adverts to the peers with --peer), scripts and managed
/// by its <see cref="ScriptRunner"/>, managed addresses by the daemon's
/// <see cref="Net.AddressChanger"/>, requests by its etcd client.
/// </summary>
internal sealed class GroupOutput : ICarpHost, IEtcdHost
{
    readonly ILog _log;
    readonly PacketSocket _socket;
    readonly UnicastSocket? _unicast;
    readonly Etcd.IEtcdSender? _etcd;
    readonly string _interface;
    readonly Net.AddressChanger? _addresses;
    readonly Net.AdvertBatch? _batch;
    readonly AnnouncementSent _announced;

    /// <param name="unicast">With --peer: adverts go to the peers through it; gratuitous ARPs still leave by the packet socket.</param>
    /// <param name="addresses">Where managed addresses are changed; null: on the caller's thread.</param>
    /// <param name="batch">Where adverts due together are queued; null: each is sent at once.</param>
    public GroupOutput(ILog log, PacketSocket socket, UnicastSocket? unicast, IReadOnlyList<string> environment, string iface, Etcd.IEtcdSender? etcd,
                       Net.AddressChanger? addresses, Net.AdvertBatch? batch = null)
    {
        _batch = batch;
        _log = log;
        DebugEnabled = log.DebugEnabled;
        _announced = new AnnouncementSent(log);
        _etcd = etcd;
        _socket = socket;
        _unicast = unicast;
        _interface = iface;
        _addresses = addresses;
        Scripts = new ScriptRunner(log, environment, iface);
    }

    public ScriptRunner Scripts { get; }

    /// <summary>Where managed addresses are changed; null: on the caller's thread.</summary>
    public Net.AddressChanger? Addresses => _addresses;

    /// <summary>The follower told when a step's addresses are changed; set once the group's election is made.</summary>
    public RoleFollower? Follower { get; set; }

    /// <summary>
    /// Kept, not asked: the daemon's debug switch is set once, before any group is made, and
    /// the election asks for every frame it reads, which went through three logs of the
    /// group's own (each a cache miss on a busy backup of thousands of groups).
    /// </summary>
    public bool DebugEnabled { get; }

    public void Write(LogLevel level, string message) => _log.Write(level, message);

    /// <summary>Null when sent, else the words of the election's "write() has failed" line: the errno's, and the peer's with --peer.</summary>
    public string? SendAdvert(ReadOnlySpan<byte> frame)
    {
        if (_unicast is null)
        {
            return _socket.TrySend(frame, out SysError error) ? null : error.Text;
        }
        return _unicast.TrySend(frame, out SysError peerError, out Core.Cli.IpAddress peer) ? null : Messages.PeerSendFailed(peerError.Text, peer.ToString());
    }

    /// <summary>With the pass's other adverts (<see cref="Net.AdvertBatch"/>); never with --peer (the unicast socket sends one by one).</summary>
    public bool TryQueueAdvert(ReadOnlySpan<byte> frame, IAdvertSender sender) =>
        _unicast is null && _batch is not null && _batch.TryAdd(_socket, frame, sender);

    public bool StartScript(ScriptInvocation script) => Scripts.Start(script);

    public bool ChangeAddresses(ScriptInvocation step)
    {
        bool add = step.Kind == ScriptKind.Up;
        if (Posted(step.Addresses, add, _ => Follower?.AddressesChanged()))
        {
            return true;
        }
        ChangeHere(step.Addresses, add);
        return false;
    }

    /// <summary>
    /// One address put back (<paramref name="add"/>) or taken away, as a step would, off the
    /// protocol's thread when it can be; <paramref name="changed"/> is told on the loop's
    /// thread whether the kernel changed (false when it was so already, or could not be: logged).
    /// </summary>
    public void ChangeAddress(Core.Cli.IpAddress address, bool add, Action<bool> changed)
    {
        if (!Posted([address], add, changed))
        {
            changed(ChangeHere([address], add));
        }
    }

    /// <summary>Asks the address thread for the change; <paramref name="done"/> is told on the loop's thread, after the failures are logged. False: no such thread.</summary>
    bool Posted(IReadOnlyList<Core.Cli.IpAddress> addresses, bool add, Action<bool> done) =>
        _addresses?.TryPost(_interface, addresses, add, result =>
        {
            LogFailures(result.Errors);
            done(result.Changed);
            // The group's code ran (its follower goes on): the group clock looks at it again.
            Touched?.Invoke();
        }) == true;

    /// <summary>Told after a change made on the address thread was handed back to the group (GroupRuntime.Touch).</summary>
    public Action? Touched { get; set; }

    /// <summary>The change made on this thread (no address thread could be had), its failures logged; true when the kernel changed.</summary>
    bool ChangeHere(IReadOnlyList<Core.Cli.IpAddress> addresses, bool add)
    {
        var errors = new List<string>();
        bool changed = Net.KernelAddresses.Change(_interface, addresses, add, errors);
        LogFailures(errors);
        return changed;
    }

    void LogFailures(IReadOnlyList<string> errors)
    {
        foreach (string error in errors)
        {
            _log.Write(LogLevel.Error, error);
        }
    }

    public void SendAnnouncement(ReadOnlySpan<byte> frame)
    {
        // In a pass whose adverts are queued, behind them: a gratuitous ARP that follows an
        // advert (the delayed one) still follows it on the wire.
        if (_batch is not null && _batch.TryAdd(_socket, frame, _announced))
        {
            return;
        }
        _announced.AdvertSent(_socket.TrySend(frame, out SysError error) ? null : error.Text, 0);
    }

    /// <summary>What a gratuitous ARP's or neighbour advert's failure says (the frame is not an advert: no count, no suppression).</summary>
    sealed class AnnouncementSent(ILog log) : IAdvertSender
    {
        public void AdvertSent(string? error, long now)
        {
            if (error is not null)
            {
                log.Write(LogLevel.Error, Messages.GarpWriteFailed(error));
            }
        }
    }

    public void SendAfterScripts(in Deferred effect)
    {
        if (effect.Frame is byte[] bowOut)
        {
            if (SendAdvert(bowOut) is string error)
            {
                _log.Write(LogLevel.Warning, Messages.BowOutWriteFailed(error));
            }
            return;
        }
        Send(effect.Request);
    }

    public void Send(in EtcdRequest request) => _etcd!.Send(request);
}
