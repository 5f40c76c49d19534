using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Control;
using Ucarp.Core.Monitoring;

namespace Ucarp.Core.Tests.Monitoring;

/// <summary>A group's description for tests of what is cut from it (status rows, watch lines).</summary>
static class Snapshots
{
    public static StatusSnapshot Group(string name, string state = "BACKUP", string? master = "192.0.2.1", bool inElection = true,
                                       string health = "none", string? reason = null, long sinceSeconds = 1_795_000_000,
                                       string iface = "eth0", int vhid = 7, string[]? addresses = null) => new()
    {
        Name = name,
        State = state switch { "MASTER" => CarpState.Master, "BACKUP" => CarpState.Backup, _ => CarpState.Init },
        Stopped = state == "STOPPED",
        Waiting = state == "WAITING",
        InElection = inElection,
        ElectionReason = reason,
        LinkUp = true,
        SinceUnixMicros = sinceSeconds * 1_000_000,
        NowUnixMicros = sinceSeconds * 1_000_000,
        Interface = iface,
        Vhid = vhid,
        VirtualAddress = (addresses ?? ["192.0.2.100"]) is [string first, ..] ? first : "",
        Addresses = addresses ?? ["192.0.2.100"],
        Source = new IpAddress(192, 0, 2, 2),
        AdvBase = 1,
        AdvSkew = 0,
        Preempt = false,
        Master = master is null ? null : Inet.TryParse(master, out IpAddress m) ? m : null,
        Health = health == "none" ? null : new HealthSnapshot("true", health == "passing", health == "pending" ? null : health == "passing",
                                                              0, 0, 0, 0),
        Transitions = 0,
        AdvertsSent = 0,
        AdvertSendErrors = 0,
        AdvertsReceived = 0,
        ScriptRuns = 0,
        ScriptFailures = 0,
        Rejected = new Dictionary<Ucarp.Core.Wire.Rejection, long>(),
        Pid = 1,
    };

    public static GroupStatus Row(string name, string state = "BACKUP", string? master = "192.0.2.1", bool inElection = true,
                                  string health = "none", string? reason = null, long sinceSeconds = 1_795_000_000,
                                  string iface = "eth0", int vhid = 7, string[]? addresses = null) =>
        GroupStatus.Of(Group(name, state, master, inElection, health, reason, sinceSeconds, iface, vhid, addresses));
}
