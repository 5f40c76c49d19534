using Ucarp.Core.Control;

namespace Ucarp.Control;

/// <summary>A reply to one ucarpctl command: ucarpctl prints Body and exits with ExitCode.</summary>
public sealed record ControlReply(int ExitCode, string Body);

/// <summary>
/// What the daemon does for a ucarpctl command, on the event loop thread. Commands:
/// status [--json], demote GROUP|--all, promote GROUP|--all, reload.
/// </summary>
internal interface IControlHandler
{
    /// <summary>The groups, in the file's order, for `status`.</summary>
    IReadOnlyList<GroupStatus> Status(long now);

    /// <summary>`demote`/`promote`: null for --all. The reply says what was done, or exit 1 for an unknown group.</summary>
    ControlReply SetDemoted(string? group, bool demoted, long now);

    /// <summary>
    /// `reload`: starts reading the file again (off the loop thread). The reply comes later
    /// through <paramref name="complete"/>, called on the loop thread: exit 0 with a summary,
    /// or 1 with the file's FILE:LINE problems (nothing changed).
    /// </summary>
    void Reload(Action<ControlReply> complete, long now);

    /// <summary>
    /// `demote --wait`, once demoted: <paramref name="complete"/> is called on the loop
    /// thread when every group demoted (null: all) is neither MASTER nor running or owing a
    /// script, an address change or its bow-out.
    /// </summary>
    void WhenLetGo(string? group, Action<ControlReply> complete, Func<bool> abandoned, long now);

    /// <summary>`watch`: every group as it is now (the changes since are published to every watcher first).</summary>
    IReadOnlyList<WatchEvent> Watch(long now);
}
