using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Follow;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Tests.Scripts;

/// <summary>
/// The state machine's host wired to its follower, as the daemon wires them. Scripts
/// start and stay running until the test ends them (<see cref="RoleFollower.ScriptEnded"/>);
/// scripts, address changes and frames are recorded in one line, in order.
/// </summary>
sealed class Wiring : ICarpHost
{
    public Wiring() => Queue = new RoleFollower(this);

    /// <summary>The follower the test drives: the machine's, once set, or one of its own.</summary>
    public RoleFollower Queue { get; set; }
    public List<string> Wire { get; } = [];
    /// <summary>Record "garp 192.0.2.100" rather than "garp": the address each frame announces.</summary>
    public bool NameAddresses { get; init; }
    public bool DebugEnabled => false;

    /// <summary>A machine wired to this host, whose follower the test then drives.</summary>
    public CarpMachine Machine(CarpSettings settings)
    {
        var m = new CarpMachine(settings, this, new Carp.CountingRandom());
        Queue = m.Follower;
        return m;
    }

    public void Write(LogLevel level, string message) { }
    public string? SendAdvert(ReadOnlySpan<byte> frame) { Wire.Add("advert"); return null; }
    public void SendAfterScripts(in Deferred effect) => Wire.Add(effect.IsBowOut ? "bowout" : "request " + effect.Request.Op);

    public bool StartScript(ScriptInvocation script) { Wire.Add("start " + script.Kind); return true; }
    public void SendAnnouncement(ReadOnlySpan<byte> frame) => Wire.Add(NameAddresses ? "garp " + new IpAddress(frame.Slice(28, 4)) : "garp");
    /// <summary>Address changes go on elsewhere, as the daemon's do: the test ends each (<see cref="RoleFollower.AddressesChanged"/>).</summary>
    public bool AddressesElsewhere { get; init; }

    public bool ChangeAddresses(ScriptInvocation step)
    {
        Wire.Add((step.Kind == ScriptKind.Up ? "add " : "remove ") + string.Join(' ', step.Addresses));
        return AddressesElsewhere;
    }
}
