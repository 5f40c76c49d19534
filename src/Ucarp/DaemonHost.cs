using Ucarp.Core.Carp;
using Ucarp.Core.Logging;
using Ucarp.Linux;

namespace Ucarp;

/// <summary>Carries the state machine's effects to the socket, the script queue and the log.</summary>
internal sealed class DaemonHost : ICarpHost
{
    readonly Logger _log;
    readonly PacketSocket _socket;

    public DaemonHost(Logger log, PacketSocket socket, IReadOnlyList<string> environment)
    {
        _log = log;
        _socket = socket;
        Scripts = new ScriptRunner(log, socket.Send, environment);
    }

    public ScriptRunner Scripts { get; }

    public bool DebugEnabled => _log.DebugEnabled;

    public void Write(LogLevel level, string message) => _log.Write(level, message);

    public string? SendAdvert(ReadOnlySpan<byte> frame) => _socket.Send(frame);

    public void SendGratuitousArp(ReadOnlySpan<byte> frame) => Scripts.Queue.Announce(frame);

    public void RunScript(ScriptInvocation script) => Scripts.Queue.Request(script);
}
