using System.Diagnostics;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>stress-ng keeping every core busy, bounded by its own --timeout and killed on dispose.</summary>
sealed class Stress : IDisposable
{
    readonly Process _process;

    public Stress(TimeSpan duration)
    {
        if (!File.Exists("/usr/bin/stress-ng"))
        {
            Assert.Ignore("stress-ng is not installed (tests/install-deps.sh installs it)");
        }
        var info = new ProcessStartInfo("/usr/bin/stress-ng") { RedirectStandardOutput = true, RedirectStandardError = true };
        // One CPU hog per core, at the default nice level, as an ordinary busy host has.
        foreach (string a in new[] { "--cpu", Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                                     "--timeout", $"{(int)duration.TotalSeconds + 1}s", "--quiet" })
        {
            info.ArgumentList.Add(a);
        }
        _process = Process.Start(info)!;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            // stress-ng's workers follow their parent's SIGTERM.
            Shell.RunAllowingFailure("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], out _);
            if (!_process.WaitForExit(5000))
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
    }
}
