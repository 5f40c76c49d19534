using System.Globalization;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Cli;

/// <summary>
/// Ucarp.Net's own options for fast failover: --garp-refresh (a master's repeated
/// announcements) and --realtime (the event loop on a real-time priority, its memory
/// locked). Bad values end the command line with status 1, as ucarp's own errors do.
/// </summary>
public static class TimingOptions
{
    public const int MaxPriority = 99;   // sched_get_priority_max(SCHED_RR) on Linux

    public static bool TryApply(char option, string arg, Configuration config, ILog log)
    {
        switch (option)
        {
            case OptionTable.GarpRefresh:
                // Seconds as --check-interval takes them: fractions work, 0.01 s to a day.
                if (!HandoverOptions.TryParseSeconds(arg, out long period))
                {
                    return Fail(log, Messages.BadSeconds("--garp-refresh", arg));
                }
                config.GarpRefresh = period;
                return true;
            case OptionTable.Realtime:
                if (!int.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out int priority) || priority < 1 || priority > MaxPriority)
                {
                    return Fail(log, Messages.BadCount("--realtime", arg, MaxPriority));
                }
                config.RealtimePriority = priority;
                return true;
        }
        return false;
    }

    static bool Fail(ILog log, string message)
    {
        log.Write(LogLevel.Error, message);
        return false;
    }
}
