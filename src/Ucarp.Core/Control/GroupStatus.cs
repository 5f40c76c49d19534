namespace Ucarp.Core.Control;

/// <summary>
/// One group as `ucarpctl status` shows it (a line, or an object of --json's "groups").
/// The daemon fills it on its loop thread; formatting is pure (ControlStatus).
/// </summary>
/// <param name="State">MASTER, BACKUP, INIT, STOPPED, or WAITING (--config: held back until its interface is usable, <paramref name="Reason"/> says why).</param>
/// <param name="Master">The master's address as far as this host knows, or null.</param>
/// <param name="SinceUnixSeconds">Wall-clock time of the group's last state change (or its start).</param>
/// <param name="InElection">False while a failing check, a lost carrier, ucarpctl demote or its sync set keeps it out.</param>
/// <param name="Health">"passing", "failing", "none" (no --check), or "pending" (no verdict yet).</param>
/// <param name="Reason">Why it is out of the election, or null.</param>
public sealed record GroupStatus(string Name, string Interface, int Vhid, IReadOnlyList<string> Addresses, string State,
                                 string? Master, long SinceUnixSeconds, bool InElection, string Health, string? Reason)
{
    /// <summary>The whole description the row is cut from: what --json writes, the state file's keys.</summary>
    public required Monitoring.StatusSnapshot Full { get; init; }

    /// <summary>The row of a group's description: status's text and watch's words come from the same snapshot as the documents.</summary>
    public static GroupStatus Of(Monitoring.StatusSnapshot s) =>
        new(s.Name ?? "", s.Interface, s.Vhid, s.AllAddresses, s.StateName, s.Master?.ToString(), s.SinceUnixMicros / 1_000_000,
            s.InElection, s.Health is null ? "none" : s.Health.LastPassed is null ? "pending" : s.Health.Passing ? "passing" : "failing",
            s.ElectionReason) { Full = s };
}
