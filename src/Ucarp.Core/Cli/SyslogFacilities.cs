namespace Ucarp.Core.Cli;

/// <summary>glibc's facilitynames table (syslog.h with SYSLOG_NAMES), which ucarp searches for -f.</summary>
public static class SyslogFacilities
{
    /// <summary>LOG_DAEMON, ucarp's default.</summary>
    public const int Daemon = 3 << 3;

    static readonly (string Name, int Value)[] Names =
    [
        ("auth", 4 << 3),
        ("authpriv", 10 << 3),
        ("cron", 9 << 3),
        ("daemon", 3 << 3),
        ("ftp", 11 << 3),
        ("kern", 0),
        ("lpr", 6 << 3),
        ("mail", 2 << 3),
        ("mark", 24 << 3), // INTERNAL_MARK
        ("news", 7 << 3),
        ("security", 4 << 3),
        ("syslog", 5 << 3),
        ("user", 1 << 3),
        ("uucp", 8 << 3),
        ("local0", 16 << 3),
        ("local1", 17 << 3),
        ("local2", 18 << 3),
        ("local3", 19 << 3),
        ("local4", 20 << 3),
        ("local5", 21 << 3),
        ("local6", 22 << 3),
        ("local7", 23 << 3),
    ];

    /// <summary>strcasecmp lookup, as ucarp does it.</summary>
    public static bool TryLookup(string name, out int facility)
    {
        foreach (var (n, v) in Names)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            {
                facility = v;
                return true;
            }
        }
        facility = 0;
        return false;
    }
}
