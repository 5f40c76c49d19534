using Ucarp.Core;
using Ucarp.Core.Config;
using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Daemon;

/// <summary>
/// The checks of a config file that look at the host rather than the text, run wherever
/// the file is read (--check-config, start, every reload: one rule, so what --check-config
/// accepts is what the daemon starts). Scripts are run by the daemon itself, without a
/// shell: one that is missing or not executable would fail at the first change of role,
/// so it is an error now. A --check's program is looked for as the shell would. An
/// interface that is missing or down is a warning: its groups wait for it (a VLAN made
/// after boot must not keep the daemon from starting).
/// </summary>
internal static class ConfigHostChecks
{
    // Shell keywords and builtins a --check may start with that are not programs on disk.
    static readonly HashSet<string> ShellWords = new(StringComparer.Ordinal)
    {
        "if", "while", "until", "case", "for", "select", "time", "function", "exec", "command", "builtin", "test", "true", "false",
        "echo", "printf", ".", "eval", "cd", "set", "source", "export", "ulimit", "umask", "trap", "shift", "unset", "alias", "type",
        "hash", "read", "wait", "let", "declare", "typeset", "local", "readonly", "exit", "return", "kill", "pwd", "getopts",
    };

    /// <param name="directory">Where relative paths are taken from: the directory the daemon was started from, as for -o and the etcd files.</param>
    public static void Add(IReadOnlyList<GroupOptions> groups, List<ConfigDiagnostic> diagnostics, string directory)
    {
        var interfaces = new Dictionary<string, string?>(StringComparer.Ordinal);
        InterfaceInfo.TryDatagramSocket(out FileDescriptor? control, out _);
        using (control)
        {
            foreach (GroupOptions g in groups)
            {
                Core.Cli.Configuration c = g.Settings;
                Script("--upscript", c.UpScript, g.Line, diagnostics, directory);
                Script("--downscript", c.DownScript, g.Line, diagnostics, directory);
                if (c.Check is string check && CheckProgram(check, directory) is string problem)
                {
                    diagnostics.Add(ConfigDiagnostic.Error(g.Line, problem));
                }
                if (control is not null && c.Interface is string iface)
                {
                    if (!interfaces.TryGetValue(iface, out string? said))
                    {
                        interfaces[iface] = said = InterfaceProblem(control, iface);
                        if (said is not null)
                        {
                            diagnostics.Add(ConfigDiagnostic.Warning(g.Line, said));   // once per interface, at its first group
                        }
                    }
                }
            }
        }
    }

    static void Script(string option, string? path, int line, List<ConfigDiagnostic> diagnostics, string directory)
    {
        if (path is null)
        {
            return;
        }
        if (Executable(Path.GetFullPath(path, directory)) is string error)
        {
            diagnostics.Add(ConfigDiagnostic.Error(line, error == "" ? Messages.ConfigScriptNotExecutable(option, path) : Messages.ConfigScriptMissing(option, path, error)));
        }
    }

    /// <summary>Null when <paramref name="path"/> is an executable file; "" when it is a file without execute permission; else why not.</summary>
    static string? Executable(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                return Messages.ConfigIsDirectory;
            }
            if (!File.Exists(path))
            {
                return "No such file or directory";
            }
            const UnixFileMode AnyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            return (File.GetUnixFileMode(path) & AnyExecute) == 0 ? "" : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }

    /// <summary>What is wrong with the program a --check starts with, or null (found, or not a plain program name).</summary>
    static string? CheckProgram(string check, string directory)
    {
        string first = check.TrimStart().Split([' ', '\t', '\n', ';', '|', '&'], 2)[0];
        // Only a plain name or path is looked for: anything else ("(curl", "~/bin/x", ">/dev/null",
        // "A=1", a keyword or builtin) is the shell's to read and to say.
        if (first.Length == 0 || !Lists.All(first, c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '/' or '+' or '-') || ShellWords.Contains(first))
        {
            return null;
        }
        if (first.Contains('/'))
        {
            return Executable(Path.GetFullPath(first, directory)) is string error ? Messages.ConfigCheckProgram(first, error == "" ? "not executable" : error) : null;
        }
        string path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (string dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (Executable(Path.Combine(dir, first)) is null)
            {
                return null;
            }
        }
        return Messages.ConfigCheckProgram(first, "not found in PATH");
    }

    static string? InterfaceProblem(FileDescriptor control, string iface)
    {
        if (!InterfaceInfo.TryFlags(control, iface, out short flags))
        {
            return Messages.ConfigInterfaceMissing(iface);
        }
        return (flags & Libc.IFF_UP) == 0 ? Messages.ConfigInterfaceDown(iface) : null;
    }
}
