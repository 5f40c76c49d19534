using Ucarp.Core.Logging;

namespace Ucarp.Core.Carp;

public enum ScriptKind { Up, Down }

/// <summary>
/// What follows one role change, in order: a script to run (ucarp execs Path with
/// Arguments as argv, no shell; null: none) and with --manage-addresses the addresses to
/// add before it (Up) or remove after it (Down).
/// </summary>
public sealed record ScriptInvocation(ScriptKind Kind, string? Path, IReadOnlyList<string> Arguments)
{
    /// <summary>"NAME=value" entries the script gets on top of the daemon's environment.</summary>
    public IReadOnlyList<string> Environment { get; init; } = [];

    /// <summary>--manage-addresses: added before the upscript, removed after the downscript.</summary>
    public IReadOnlyList<Cli.IpAddress> Addresses { get; init; } = [];
}

/// <summary>
/// The effects the state machine emits. The daemon turns them into socket writes and
/// processes; the simulator into deliveries on a virtual LAN.
/// </summary>
public interface ICarpHost : ILog
{
    /// <summary>Sends one advert frame now. Returns null when sent, else the error text (strerror).</summary>
    string? SendAdvert(ReadOnlySpan<byte> frame);

    /// <summary>
    /// Sends the frame that announces the address: a gratuitous ARP (IPv4) or an unsolicited
    /// Neighbour Advertisement (IPv6). The daemon sends it once any script queued before it has finished.
    /// </summary>
    void SendAnnouncement(ReadOnlySpan<byte> frame);

    /// <summary>
    /// --garp-refresh's repeat of the announcement. Only a repeat: the daemon drops it while
    /// a script runs or waits (the announcement that follows that script says the same), so
    /// a hung upscript cannot make refreshes pile up.
    /// </summary>
    void SendRefresh(ReadOnlySpan<byte> frame) => SendAnnouncement(frame);

    /// <summary>
    /// Sends the bow-out advert once the scripts asked for before it have finished (the
    /// address is released first), or at <paramref name="deadline"/> at the latest.
    /// </summary>
    void SendBowOut(ReadOnlySpan<byte> frame, long deadline);

    /// <summary>Runs a state script. Scripts run one at a time, in the order asked.</summary>
    void RunScript(ScriptInvocation script);

    /// <summary>
    /// The role changed (after the script and announcement for it were requested). This is
    /// the seam everything that follows the role hangs off: state file, metrics, sd_notify.
    /// </summary>
    void RoleChanged(CarpState role, long now) { }
}
