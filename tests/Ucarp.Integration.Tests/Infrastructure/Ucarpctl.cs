using System.Diagnostics;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>One run of build/ucarpctl: its exit status, its two streams apart, and how long it took.</summary>
sealed record CtlResult(int Code, string Out, string Err, TimeSpan Took)
{
    public override string ToString() => $"exit {Code} after {Took.TotalSeconds:0.000} s\n--- stdout:\n{Out}--- stderr:\n{Err}";
}

static class Ucarpctl
{
    /// <summary>Runs ucarpctl, as root or (with <paramref name="user"/>, a uid) as that uid and gid through setpriv.</summary>
    public static CtlResult Run(string[] args, string? user = null)
    {
        var info = new ProcessStartInfo(user is null ? Binaries.Ctl : "setpriv") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (user is not null)
        {
            foreach (string a in new[] { "--reuid=" + user, "--regid=" + user, "--clear-groups", Binaries.Ctl })
            {
                info.ArgumentList.Add(a);
            }
        }
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        var clock = Stopwatch.StartNew();
        using Process p = Process.Start(info)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30_000))
        {
            p.Kill(true);
            throw new TimeoutException("ucarpctl took over 30 s");
        }
        p.WaitForExit();
        return new CtlResult(p.ExitCode, stdout.Result, stderr.Result, clock.Elapsed);
    }

    public static CtlResult Run(string control, params string[] args) => Run(["--control=" + control, .. args]);
}
