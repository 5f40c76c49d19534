using Ucarp.Core.Config;
using Ucarp.Core.Control;
using Ucarp.Linux;

namespace Ucarpctl;

/// <summary>
/// ucarpctl [--control=PATH] COMMAND [ARGS]: prints the daemon's reply (on stdout when it
/// succeeded, stderr when not) and exits with its status; 2 for a bad command line, 1 when
/// no daemon answers.
/// </summary>
internal static class Program
{
    const int ReloadTimeout = 10;   // s: the daemon reads and checks the whole file
    const int Timeout = 5;          // s: everything else is answered at once
    const int WaitTimeout = 90;     // s: demote --wait lasts as long as the downscripts

    static int Main()
    {
        // argv as the kernel holds it (Latin-1, byte per char), like the daemon's --control.
        string[] argv = CStrings.CommandLine();
        string path = DaemonOptions.DefaultControlSocket;
        var words = new List<string>();
        bool version = false;
        for (int i = 1; i < argv.Length; i++)
        {
            string a = argv[i];
            if (a is "-h" or "--help")
            {
                Write(Console.OpenStandardOutput(), ControlUsage.Text);
                return 0;
            }
            if (a is "-V" or "--version")
            {
                version = true;
                continue;
            }
            if (a.StartsWith("--control=", StringComparison.Ordinal) || a == "--control")
            {
                string? value = a == "--control" ? (i + 1 < argv.Length ? argv[++i] : null) : a["--control=".Length..];
                if (string.IsNullOrEmpty(value))
                {
                    return Usage("--control needs a path");
                }
                path = value;
                continue;
            }
            words.Add(a);
        }
        if (version)
        {
            return Version(path, words);
        }
        ControlCommand? command = ControlCommand.Parse(words, out string error);
        if (command is null)
        {
            return Usage(error);
        }

        if (command.Verb == ControlVerb.Watch)
        {
            using Stream stdout = Console.OpenStandardOutput(), stderr = Console.OpenStandardError();
            return ControlClient.Stream(path, command, Timeout, stdout, stderr);
        }
        Exchange result = ControlClient.Run(path, command, command.Verb == ControlVerb.Reload ? ReloadTimeout : command.Wait ? WaitTimeout : Timeout);
        if (result.Failure is not null)
        {
            Write(Console.OpenStandardError(), "ucarpctl: " + result.Failure + "\n");
            return 1;
        }
        using Stream output = result.ExitCode == 0 ? Console.OpenStandardOutput() : Console.OpenStandardError();
        output.Write(result.Body);
        return result.ExitCode;
    }

    /// <summary>ucarpctl's version, then the daemon's: the daemon not answering is said, and is not an error.</summary>
    static int Version(string path, List<string> words)
    {
        if (words.Count != 0)
        {
            return Usage("--version takes no command");
        }
        Write(Console.OpenStandardOutput(), "ucarpctl (Ucarp.Net " + Ucarp.Core.Cli.UsageText.Version + ")\n");
        Exchange result = ControlClient.Run(path, new ControlCommand(ControlVerb.Version), Timeout);
        Write(Console.OpenStandardOutput(), result.Failure is not null ? "daemon: none answers at " + path + " (" + result.Failure + ")\n"
            : result.ExitCode == 0 ? "daemon: " + CStrings.FromBytes(result.Body)
            : "daemon: answers at " + path + " but does not say its version (older than ucarpctl)\n");
        return 0;
    }

    static int Usage(string error)
    {
        Write(Console.OpenStandardError(), "ucarpctl: " + error + "\n" + ControlUsage.Text);
        return 2;
    }

    static void Write(Stream stream, string text)
    {
        using (stream)
        {
            stream.Write(CStrings.Bytes(text));
        }
    }
}
