using System.Globalization;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Cli;

/// <summary>
/// Ucarp.Net's own options for planned handover and health checks: --no-bowout,
/// --check, its timing and its weight. Bad values end the command line with status 1, as ucarp's
/// own command-line errors do.
/// </summary>
public static class HandoverOptions
{
    const long MinSeconds = 10_000;            // 0.01 s: below that a check is a busy loop
    const long MaxSeconds = 86_400_000_000;    // one day
    const int MaxCount = 1000;
    const int MaxWeight = 255;

    public static bool TryApply(char option, string arg, Configuration config, ILog log)
    {
        config.CheckTimingGiven |= option is OptionTable.CheckInterval or OptionTable.CheckTimeout
                                         or OptionTable.CheckFall or OptionTable.CheckRise;
        switch (option)
        {
            case OptionTable.NoBowOut:
                config.NoBowOut = true;
                return true;
            case OptionTable.Check:
                if (arg.Trim().Length == 0)
                {
                    return Fail(log, Messages.CheckCommandEmpty);
                }
                config.Check = arg;
                return true;
            case OptionTable.CheckInterval:
                if (!TryParseSeconds(arg, out long interval))
                {
                    return Fail(log, Messages.BadSeconds("--check-interval", arg));
                }
                config.CheckInterval = interval;
                return true;
            case OptionTable.CheckTimeout:
                if (!TryParseSeconds(arg, out long timeout))
                {
                    return Fail(log, Messages.BadSeconds("--check-timeout", arg));
                }
                config.CheckTimeout = timeout;
                return true;
            case OptionTable.CheckFall:
            case OptionTable.CheckRise:
                string name = option == OptionTable.CheckFall ? "--check-fall" : "--check-rise";
                if (!int.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count < 1 || count > MaxCount)
                {
                    return Fail(log, Messages.BadCount(name, arg, MaxCount));
                }
                if (option == OptionTable.CheckFall)
                {
                    config.CheckFall = count;
                }
                else
                {
                    config.CheckRise = count;
                }
                return true;
            case OptionTable.CheckWeight:
                if (!int.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out int weight) || weight < 1 || weight > MaxWeight)
                {
                    return Fail(log, Messages.BadCount("--check-weight", arg, MaxWeight));
                }
                config.CheckWeight = (byte)weight;
                return true;
        }
        return false;
    }

    /// <summary>After ucarp's own checks: the check's timing makes no sense without a check.</summary>
    public static int Validate(Configuration config, ILog log)
    {
        if (config.Check is null && config.CheckTimingGiven)
        {
            log.Write(LogLevel.Error, Messages.CheckOptionsWithoutCheck);
            return 1;
        }
        if (config.Check is null && config.CheckWeight != 0)
        {
            log.Write(LogLevel.Error, VrrpOptions.CheckWeightWithoutCheck(config));
            return 1;
        }
        return 0;
    }

    /// <summary>Seconds, with an optional fraction ("2", "0.5"), between 0.01 s and a day; in microseconds.</summary>
    public static bool TryParseSeconds(string text, out long microseconds)
    {
        microseconds = 0;
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal seconds))
        {
            return false;
        }
        // Range first: a huge value times a million would overflow decimal (found by AFL++).
        if (seconds < MinSeconds / 1_000_000m || seconds > MaxSeconds / 1_000_000m)
        {
            return false;
        }
        microseconds = (long)(seconds * 1_000_000m);
        return true;
    }

    static bool Fail(ILog log, string message)
    {
        log.Write(LogLevel.Error, message);
        return false;
    }
}
