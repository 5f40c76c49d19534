using Ucarp.Core.Logging;

namespace Ucarp.Monitoring;

/// <summary>
/// A file written again and again (the state and metrics files, the demotion file): a
/// failure is logged once, and once more when a write works again, not a line per
/// attempt. Used on one writer thread only.
/// </summary>
internal sealed class WriteFailures(ILog log, LogLevel level, Func<string, string, string> failed, Func<string, string> recovered)
{
    readonly Dictionary<string, bool> _failing = [];

    /// <summary>The outcome of a write of <paramref name="path"/>: null when it worked, else why not.</summary>
    public void Report(string path, string? error)
    {
        bool wasFailing = _failing.GetValueOrDefault(path);
        if (error is not null && !wasFailing)
        {
            log.Write(level, failed(path, error));
        }
        else if (error is null && wasFailing)
        {
            log.Write(LogLevel.Notice, recovered(path));
        }
        _failing[path] = error is not null;
    }
}
