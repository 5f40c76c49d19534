using Ucarp.Core.Carp;
using Ucarp.Core.Etcd;
using Ucarp.Core.Logging;
using Ucarp.Core.Scripts;
using Ucarp.Linux;

namespace Ucarp;

/// <summary>Carries the election's effects to the socket, the script queue, etcd and the log.</summary>
internal sealed class DaemonHost : IEtcdHost
{
    readonly ILog _log;
    readonly PacketSocket _socket;
    readonly UnicastSocket? _unicast;
    readonly Etcd.EtcdClient? _etcd;
    readonly List<(EtcdRequest Request, long Deadline)> _afterScripts = [];

    /// <param name="unicast">With --peer: adverts go to the peers through it; gratuitous ARPs still leave by the packet socket.</param>
    public DaemonHost(ILog log, PacketSocket socket, UnicastSocket? unicast, IReadOnlyList<string> environment, string iface, Etcd.EtcdClient? etcd = null)
    {
        _log = log;
        _etcd = etcd;
        _socket = socket;
        _unicast = unicast;
        Scripts = new ScriptRunner(log, socket.Send, environment, iface);
    }

    public ScriptRunner Scripts { get; }

    public bool DebugEnabled => _log.DebugEnabled;

    public void Write(LogLevel level, string message) => _log.Write(level, message);

    public string? SendAdvert(ReadOnlySpan<byte> frame) => _unicast is null ? _socket.Send(frame) : _unicast.Send(frame);

    public void SendAnnouncement(ReadOnlySpan<byte> frame) => Scripts.Queue.Announce(frame);

    public void SendRefresh(ReadOnlySpan<byte> frame) => Scripts.Queue.Refresh(frame);

    public void RunScript(ScriptInvocation script) => Scripts.Queue.Request(script);

    /// <summary>The bow-out advert waiting for the downscript (or its deadline); the event loop sends it.</summary>
    public DeferredFrame BowOut { get; } = new();

    public void SendBowOut(ReadOnlySpan<byte> frame, long deadline) => BowOut.Hold(frame, deadline);

    public void RoleChanged(CarpState role, long now)
    {
        if (role == CarpState.Master)
        {
            // Master again before the bow-out went out: it must not tell backups to take over now.
            BowOut.Cancel();
        }
    }

    public void Send(in EtcdRequest request) => _etcd!.Send(request);

    public void SendAfterScripts(in EtcdRequest request, long deadline) => _afterScripts.Add((request, deadline));

    /// <summary>The earliest deadline of the etcd requests waiting for scripts, or null.</summary>
    public long? DeferredDeadline => _afterScripts.Count == 0 ? null : _afterScripts.Min(d => d.Deadline);

    /// <summary>Sends the etcd requests whose scripts are done or whose deadline has come (the revoke after a downscript).</summary>
    public void SendDeferredIfDue(long now)
    {
        for (int i = 0; i < _afterScripts.Count; i++)
        {
            if (Scripts.Queue.Idle || now >= _afterScripts[i].Deadline)
            {
                _etcd!.Send(_afterScripts[i].Request);
                _afterScripts.RemoveAt(i--);
            }
        }
    }

    /// <summary>Sends the bow-out once the scripts before it are done or its deadline has come.</summary>
    public void SendBowOutIfDue(long now)
    {
        if (BowOut.TakeIfDue(Scripts.Queue.Idle, now) is byte[] frame && SendAdvert(frame) is string error)
        {
            _log.Write(LogLevel.Warning, Messages.BowOutWriteFailed(error));
        }
    }
}
