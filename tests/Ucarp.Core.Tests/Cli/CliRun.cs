using Ucarp.Core.Cli;

namespace Ucarp.Core.Tests.Cli;

/// <summary>A command line through parsing and validation, as the daemon runs them, for the option tests.</summary>
static class CliRun
{
    public static (int Exit, Configuration? Config, List<string> Transcript) Run(string[] required, string[] args)
    {
        var host = new RecordingCliHost();
        CliOutcome outcome = CommandLine.Parse("ucarp", [.. required, .. args], posixlyCorrect: false, host);
        if (outcome.ShouldExit)
        {
            return (outcome.ExitCode, null, [.. host.Transcript]);
        }
        int exit = CommandLine.Validate(outcome.Configuration!, host, () => "eth0");
        return (exit, outcome.Configuration, [.. host.Transcript]);
    }
}
