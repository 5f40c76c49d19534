using Ucarp.Core.Logging;

namespace Ucarp.Daemon;

/// <summary>
/// A group's log in --config mode: every line names its group ("[web] Switching to state:
/// MASTER"), so one daemon's syslog reads like many ucarps'. A plain command line writes
/// to the logger directly and logs exactly ucarp's lines.
/// </summary>
internal sealed class GroupLog(ILog inner, string group) : ILog
{
    readonly string _prefix = "[" + group + "] ";

    public bool DebugEnabled => inner.DebugEnabled;

    public void Write(LogLevel level, string message) => inner.Write(level, _prefix + message);
}
