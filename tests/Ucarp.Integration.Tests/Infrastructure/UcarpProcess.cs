using System.Collections.Concurrent;
using System.Diagnostics;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>A ucarp (either one) running in a node's namespace, its output collected line by line.</summary>
sealed class UcarpProcess : IDisposable
{
    readonly Process _process;
    readonly ConcurrentQueue<string> _lines = new();

    public UcarpProcess(string ns, string binary, IEnumerable<string> args)
    {
        Binary = binary;
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in new[] { "netns", "exec", ns, binary }.Concat(args))
        {
            info.ArgumentList.Add(a);
        }
        info.Environment[NodeVariable] = ns;
        _process = Process.Start(info)!;
        Pid = _process.Id;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue("out: " + e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue("err: " + e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The namespace the daemon runs in, in its environment and so its scripts' (TestLan's stamp it without forking).</summary>
    public const string NodeVariable = "UCARP_TEST_NODE";

    public string Binary { get; }

    /// <summary>`ip netns exec` execs the program, so this is ucarp's own pid (still known once disposed).</summary>
    public int Pid { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Output lines without their timestamps, each prefixed "out: " or "err: ".</summary>
    public IReadOnlyList<string> Lines => _lines.Select(StripTimestamp).ToList();

    public string Output => string.Join("\n", Lines);

    public bool Saw(string text) => Lines.Any(l => l.Contains(text, StringComparison.Ordinal));

    public int Count(string text) => Lines.Count(l => l.Contains(text, StringComparison.Ordinal));

    public void Signal(string name)
    {
        if (_process.HasExited)
        {
            // Say why, with what it printed, rather than kill's "No such process".
            Assert.Fail($"{Binary} exited (status {_process.ExitCode}) before it could be sent SIG{name}:\n{Output}");
        }
        Shell.Run("kill", "-" + name, Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }
        // Only the untimed wait also waits for the output readers to reach end of file.
        _process.WaitForExit();
        return true;
    }

    public bool WaitFor(string text, TimeSpan timeout) => Wait.Until(() => Saw(text), timeout);

    static string StripTimestamp(string line)
    {
        // "out: 2026-11-22T02:51:22.563519: [INFO] ..." -> "out: [INFO] ..."
        int stamp = line.IndexOf(": [", StringComparison.Ordinal);
        return stamp > 5 && char.IsAsciiDigit(line[5]) ? line[..5] + line[(stamp + 2)..] : line;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }
        _process.Dispose();
    }
}

static class Wait
{
    /// <summary>Polls until the condition holds or the time is up: a bound, not a sleep.</summary>
    public static bool Until(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition())
            {
                return true;
            }
            Thread.Sleep(20);
        }
        return condition();
    }

    /// <summary>Waits until the condition has held for a whole window (a settled state), within the timeout.</summary>
    public static bool UntilSteady(Func<bool> condition, TimeSpan window, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition() && Throughout(condition, window))
            {
                return true;
            }
            Thread.Sleep(50);
        }
        return false;
    }

    /// <summary>
    /// Checks that a condition holds at every poll for a whole window: how a test shows
    /// that something does not happen (a backup that stays backup).
    /// </summary>
    public static bool Throughout(Func<bool> condition, TimeSpan window)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < window)
        {
            if (!condition())
            {
                return false;
            }
            Thread.Sleep(50);
        }
        return condition();
    }
}
