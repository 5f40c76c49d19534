using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Core.Scripts;

namespace Ucarp.Core.Tests.Scripts;

/// <summary>
/// The state machine's host wired to a script queue, as the daemon wires them. Scripts
/// start and stay running until the test ends them; scripts, address changes and frames
/// are recorded in one line, in order.
/// </summary>
sealed class Wiring : ICarpHost, IScriptQueueHost
{
    public Wiring() => Queue = new ScriptQueue(this);

    public ScriptQueue Queue { get; }
    public List<string> Wire { get; } = [];
    /// <summary>Record "garp 192.0.2.100" rather than "garp": the address each frame announces.</summary>
    public bool NameAddresses { get; init; }
    public bool DebugEnabled => false;

    public void Write(LogLevel level, string message) { }
    public string? SendAdvert(ReadOnlySpan<byte> frame) { Wire.Add("advert"); return null; }
    public void SendAnnouncement(ReadOnlySpan<byte> frame) => Queue.Announce(frame);
    public void SendBowOut(ReadOnlySpan<byte> frame, long deadline) { }
    public void RunScript(ScriptInvocation script) => Queue.Request(script);

    public bool Start(ScriptInvocation script) { Wire.Add("start " + script.Kind); return true; }
    public void SendFrame(ReadOnlySpan<byte> frame) => Wire.Add(NameAddresses ? "garp " + new IpAddress(frame.Slice(28, 4)) : "garp");
    public void ChangeAddresses(ScriptInvocation step) =>
        Wire.Add((step.Kind == ScriptKind.Up ? "add " : "remove ") + string.Join(' ', step.Addresses));
}
