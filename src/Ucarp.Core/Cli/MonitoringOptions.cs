using Ucarp.Core.Logging;

namespace Ucarp.Core.Cli;

/// <summary>--state-file, --metrics-file, --pidfile and --demotion-file: a file name each (status 1 when empty).</summary>
public static class MonitoringOptions
{
    public static bool TryApply(char option, string arg, Configuration config, ILog log)
    {
        string name = option switch
        {
            OptionTable.StateFile => "--state-file",
            OptionTable.MetricsFile => "--metrics-file",
            OptionTable.DemotionFile => "--demotion-file",
            OptionTable.MetricsListen => "--metrics-listen",
            _ => "--pidfile",
        };
        if (arg.Length == 0)
        {
            log.Write(LogLevel.Error, Messages.PathNeeded(name));
            return false;
        }
        switch (option)
        {
            case OptionTable.StateFile: config.StateFile = arg; break;
            case OptionTable.MetricsFile: config.MetricsFile = arg; break;
            case OptionTable.DemotionFile: config.DemotionFile = arg; break;
            case OptionTable.MetricsListen:
                if (!Monitoring.ListenAddress.TryParse(arg, out _, out string error))
                {
                    log.Write(LogLevel.Error, error);
                    return false;
                }
                config.MetricsListen = arg;
                break;
            default: config.PidFile = arg; break;
        }
        return true;
    }
}
