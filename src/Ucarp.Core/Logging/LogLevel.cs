namespace Ucarp.Core.Logging;

/// <summary>ucarp's log levels, numbered as syslog(3) numbers them, so the host can pass them on.</summary>
public enum LogLevel
{
    Error = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}

public static class LogLevelText
{
    /// <summary>The prefix ucarp's log.c puts before every line, on the console and in syslog.</summary>
    public static string Prefix(LogLevel level) => level switch
    {
        LogLevel.Info => "[INFO] ",
        LogLevel.Warning => "[WARNING] ",
        LogLevel.Error => "[ERROR] ",
        LogLevel.Notice => "[NOTICE] ",
        LogLevel.Debug => "[DEBUG] ",
        _ => "",
    };

    /// <summary>Warnings and errors go to stderr, the rest to stdout (log.c).</summary>
    public static bool GoesToStderr(LogLevel level) => level is LogLevel.Warning or LogLevel.Error;
}
