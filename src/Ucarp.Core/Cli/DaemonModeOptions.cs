using Ucarp.Core.Config;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Cli;

/// <summary>
/// --config, --check-config and --control (the daemon's), and --sync (a group's): the
/// options of one daemon running many groups.
/// </summary>
public static class DaemonModeOptions
{
    /// <summary>A Unix socket's path fits sockaddr_un's 108 bytes with its NUL.</summary>
    public const int MaxControlPath = 107;

    public static bool TryApply(char option, string arg, Configuration config, ILog log)
    {
        switch (option)
        {
            case OptionTable.CheckConfig:
                config.CheckConfig = true;
                return true;
            case OptionTable.Sync:
                // A sync set's name is shown as a group's is: the same rule.
                if (!GroupOptions.IsValidName(arg))
                {
                    log.Write(LogLevel.Error, Messages.BadSyncName(arg, GroupOptions.MaxNameLength));
                    return false;
                }
                config.SyncSet = arg;
                return true;
            case OptionTable.Config:
                if (arg.Length == 0)
                {
                    log.Write(LogLevel.Error, Messages.PathNeeded("--config"));
                    return false;
                }
                config.ConfigFile = arg;
                return true;
            default:
                if (arg.Length == 0)
                {
                    log.Write(LogLevel.Error, Messages.PathNeeded("--control"));
                    return false;
                }
                if (System.Text.Encoding.UTF8.GetByteCount(arg) > MaxControlPath)
                {
                    log.Write(LogLevel.Error, Messages.ControlPathTooLong(MaxControlPath));
                    return false;
                }
                config.ControlSocket = arg;
                return true;
        }
    }
}
