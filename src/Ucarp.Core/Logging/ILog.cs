namespace Ucarp.Core.Logging;

/// <summary>Where the core writes ucarp's log lines. The host adds timestamps, streams and syslog.</summary>
public interface ILog
{
    /// <summary>False when debug output is off: callers skip formatting debug lines nobody will see.</summary>
    bool DebugEnabled { get; }

    void Write(LogLevel level, string message);
}
