namespace Ucarp.Core.Follow;

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
