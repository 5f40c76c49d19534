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
/// addresses by its <see cref="ScriptRunner"/>, requests by its etcd client.
/// </summary>
internal sealed class GroupOutput : ICarpHost, IEtcdHost
{
    readonly ILog _log;
    readonly PacketSocket _socket;
    readonly UnicastSocket? _unicast;
    readonly Etcd.IEtcdSender? _etcd;

    /// <param name="unicast">With --peer: adverts go to the peers through it; gratuitous ARPs still leave by the packet socket.</param>
    public GroupOutput(ILog log, PacketSocket socket, UnicastSocket? unicast, IReadOnlyList<string> environment, string iface, Etcd.IEtcdSender? etcd)
    {
        _log = log;
        _etcd = etcd;
        _socket = socket;
        _unicast = unicast;
        Scripts = new ScriptRunner(log, environment, iface);
    }

    public ScriptRunner Scripts { get; }

    public bool DebugEnabled => _log.DebugEnabled;

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

    public bool StartScript(ScriptInvocation script) => Scripts.Start(script);

    public void ChangeAddresses(ScriptInvocation step) => Scripts.ChangeAddresses(step);

    public void SendAnnouncement(ReadOnlySpan<byte> frame)
    {
        if (!_socket.TrySend(frame, out SysError error))
        {
            _log.Write(LogLevel.Error, Messages.GarpWriteFailed(error.Text));
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
