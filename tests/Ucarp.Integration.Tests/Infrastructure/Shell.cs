using System.Diagnostics;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>Runs short commands (ip, bridge, kill) and fails loudly when they fail.</summary>
static class Shell
{
    public static string Run(string file, params string[] args) => RunAllowingFailure(file, args, out int code) is var output && code == 0
        ? output
        : throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({code}): {output}");

    public static string RunAllowingFailure(string file, string[] args, out int exitCode)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        using Process p = Process.Start(info)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(30_000))
        {
            p.Kill(true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} took over 30 s");
        }
        exitCode = p.ExitCode;
        return stdout + stderr;
    }

    public static bool IsRoot => Environment.UserName == "root" || GetEuid() == 0;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    static extern uint GetEuid();
}
