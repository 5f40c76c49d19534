using Ucarp.Core.Logging;

namespace Ucarp.Core.Cli;

/// <summary>What the command-line stage needs from the outside world, as effects in order.</summary>
public interface ICliHost : ILog
{
    void WriteStdout(string text);
    void WriteStderr(string text);

    /// <summary>"-f none": log lines from now on skip syslog (ucarp checks the flag per line).</summary>
    void DisableSyslog();

    /// <summary>fopen(path, "r") and one fgets(buf, 512) on it.</summary>
    PassfileRead ReadPassfile(string path);
}

public enum PassfileStatus { Line, OpenFailed, ReadFailed, EndOfFile }

/// <summary>The outcome of reading a passfile: the raw fgets line, or strerror text.</summary>
/// <param name="ReadableByOthers">The file's mode lets its group or others read it.</param>
public readonly record struct PassfileRead(PassfileStatus Status, string Text, bool ReadableByOthers = false);
