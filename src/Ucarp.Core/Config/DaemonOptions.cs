using Ucarp.Core.Cli;

namespace Ucarp.Core.Config;

/// <summary>
/// The settings of the process, not of a group: they come from the command line only,
/// and a config file that gives one is refused.
/// </summary>
public sealed record DaemonOptions(bool Daemonize, bool Debug, bool NoSyslog, int SyslogFacility,
                                   string? PidFile, string? StateFile, string? MetricsFile, int? RealtimePriority,
                                   string? ConfigFile, bool CheckConfig, string? ControlSocket, string? DemotionFile = null,
                                   string? MetricsListen = null, string? FromKeepalived = null)
{
    /// <summary>Where --config's daemon listens for ucarpctl when --control is not given.</summary>
    public const string DefaultControlSocket = "/run/ucarp/ucarp.sock";

    public static DaemonOptions From(Configuration c) =>
        new(c.Daemonize, c.Debug, c.NoSyslog, c.SyslogFacility, c.PidFile, c.StateFile, c.MetricsFile, c.RealtimePriority,
            c.ConfigFile, c.CheckConfig, c.ControlSocket, c.DemotionFile, c.MetricsListen, c.FromKeepalived);

    /// <summary>The control socket the daemon opens: --control, else the default in --config mode, else none.</summary>
    public string? ControlSocketPath() => ControlSocket ?? (ConfigFile is null ? null : DefaultControlSocket);

    /// <summary>The options that set a <see cref="DaemonOptions"/> field (a new process-wide option joins here).</summary>
    public static bool IsProcessWide(char option) => option is 'B' or 'f' or 'D'
        or OptionTable.PidFile or OptionTable.StateFile or OptionTable.MetricsFile or OptionTable.MetricsListen
        // One event loop thread serves every group: its scheduling is the process's.
        or OptionTable.Realtime
        or OptionTable.Config or OptionTable.CheckConfig or OptionTable.Control or OptionTable.DemotionFile
        // Converts a file and exits: nothing of a group.
        or OptionTable.FromKeepalived;
}

/// <summary>What a daemon runs: its own settings and its groups. A plain command line is one group.</summary>
public sealed record DaemonConfiguration(DaemonOptions Daemon, IReadOnlyList<GroupOptions> Groups)
{
    /// <summary>The name of the one group a plain command line declares (in logs, metrics, the control socket).</summary>
    public const string CommandLineGroup = "ucarp";

    public static DaemonConfiguration FromCommandLine(Configuration c) =>
        new(DaemonOptions.From(c), [new GroupOptions(CommandLineGroup, 0, c)]);
}
