using Ucarp.Core.Cli;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Config;

// A file's options through the command line's appliers: each step at its line, the byte
// options (-k, -b) held to what they say, and what the appliers write made diagnostics.
public static partial class ConfigReader
{
    static bool Apply(OptionStep step, Configuration config, LineHost host)
    {
        host.Line = step.Line;
        return CommandLine.Option.Apply(step.Step, config, host) is null;
    }

    /// <summary>
    /// -k and -b are bytes, which ucarp reads with strtoul and keeps the low byte of: "300"
    /// is 44, "-5" is 251, "10abc" is 10 and "abc" is 0 (-b 0 is the fastest failover). A
    /// command line keeps that, byte for byte; in a file such a value is refused, saying
    /// what ucarp would have made of it. Hex and octal, as strtoul reads them, are numbers.
    /// </summary>
    static bool Byte(OptionStep step, LineHost host)
    {
        if (step.Step.Option is not ('k' or 'b') || step.Step.Argument is not string text)
        {
            return true;
        }
        host.Line = step.Line;
        // What strtoul skips (C's isspace, not .NET's: the file is Latin-1, and 0xA0 is not
        // a space to glibc) and the one sign it takes that keeps the value what it says.
        string t = text.Trim(' ', '\t', '\n', '\v', '\f', '\r');
        if (t.StartsWith('+'))
        {
            t = t[1..];
        }
        bool digits = t.Length > 0 && (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? t.Length > 2 && Lists.All(t.AsSpan(2), Uri.IsHexDigit)
            : Lists.All(t, char.IsAsciiDigit) && (t[0] != '0' || Lists.All(t, c => c is >= '0' and <= '7')));
        ulong value = CNumbers.StrToUL(text);
        if (digits && value <= byte.MaxValue)
        {
            return true;
        }
        host.Write(LogLevel.Error, Messages.ConfigNotAByte("-" + step.Step.Option, text, unchecked((byte)value)));
        return false;
    }

    static string GetoptMessage(string message)
    {
        string text = message.TrimEnd('\n');
        return text.StartsWith(Program + ": ", StringComparison.Ordinal) ? text[(Program.Length + 2)..] : text;
    }

    /// <summary>-f for ucarp's options, --pidfile for Ucarp.Net's long-only ones.</summary>
    static string OptionName(char option)
    {
        if (option < '\u0100')
        {
            return "-" + option;
        }
        foreach (LongOption entry in OptionTable.LongOptions)
        {
            if (entry.Value == option)
            {
                return "--" + entry.Name;
            }
        }
        return "--?";
    }

    /// <summary>The command line's host for a file: what the appliers write becomes a diagnostic at the current line.</summary>
    sealed class LineHost(ConfigProblems problems, Func<string, PassfileRead> readPassfile) : ICliHost
    {
        public int Line { get; set; }

        /// <summary>The lines of the groups ucarp would warn have no upscript (downscript): said once for all at the end.</summary>
        public List<int> NoUpscript { get; } = [];
        public List<int> NoDownscript { get; } = [];

        public bool DebugEnabled => false;

        public void Write(LogLevel level, string message)
        {
            if (level == LogLevel.Warning && message is Messages.NoUpscript or Messages.NoDownscript)
            {
                (message == Messages.NoUpscript ? NoUpscript : NoDownscript).Add(Line);
                return;
            }
            if (level == LogLevel.Error)
            {
                problems.Add(ConfigDiagnostic.Error(Line, message));
            }
            else if (level == LogLevel.Warning)
            {
                problems.Add(ConfigDiagnostic.Warning(Line, message));
            }
        }

        // Only -h writes to stdout and -f disables syslog: both are refused before any step.
        public void WriteStdout(string text) { }
        public void WriteStderr(string text) => problems.Add(ConfigDiagnostic.Error(Line, text.TrimEnd('\n')));
        public void DisableSyslog() { }

        public PassfileRead ReadPassfile(string path) => readPassfile(path);
    }
}
