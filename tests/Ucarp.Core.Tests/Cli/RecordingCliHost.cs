using Ucarp.Core.Cli;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Tests.Cli;

/// <summary>
/// Records what the command-line stage writes, rendered as a console shows it without
/// timestamps: log lines with ucarp's prefixes, warnings and errors on stderr.
/// </summary>
sealed class RecordingCliHost : ICliHost
{
    public static readonly Dictionary<string, PassfileRead> Passfiles = new()
    {
        ["/tmp/ucarp-cli-golden/pass"] = new(PassfileStatus.Line, "secret\n"),
        ["/tmp/ucarp-cli-golden/newline-only"] = new(PassfileStatus.Line, "\n"),
        ["/tmp/ucarp-cli-golden/empty"] = new(PassfileStatus.EndOfFile, ""),
        ["/tmp/ucarp-cli-golden"] = new(PassfileStatus.ReadFailed, "Is a directory"),
    };

    public List<string> Stdout { get; } = [];
    public List<string> Stderr { get; } = [];
    public bool SyslogDisabled { get; private set; }
    public bool DebugEnabled => true;

    public void Write(LogLevel level, string message)
    {
        (LogLevelText.GoesToStderr(level) ? Stderr : Stdout).Add(LogLevelText.Prefix(level) + message);
    }

    public void WriteStdout(string text) => Stdout.AddRange(Lines(text));
    public void WriteStderr(string text) => Stderr.AddRange(Lines(text));
    public void DisableSyslog() => SyslogDisabled = true;

    public PassfileRead ReadPassfile(string path) =>
        Passfiles.TryGetValue(path, out var read) ? read : new PassfileRead(PassfileStatus.OpenFailed, "No such file or directory");

    /// <summary>The transcript in the golden file's form: stdout lines, then stderr lines.</summary>
    public IEnumerable<string> Transcript => Stdout.Select(l => "out: " + l).Concat(Stderr.Select(l => "err: " + l));

    static IEnumerable<string> Lines(string text)
    {
        string[] lines = text.Split('\n');
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }
}
