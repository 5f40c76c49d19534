using System.Collections.Concurrent;
using System.Diagnostics;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>
/// `etcdctl watch KEY` from node 1's namespace, each event stamped on the realtime clock
/// (the one the scripts stamp <see cref="TestLan.HeldLog"/> with) as its lines arrive: when
/// a key changed, to the few milliseconds etcd takes to deliver a watch event.
/// </summary>
sealed class KeyWatch : IDisposable
{
    /// <summary>A PUT with its value, or a DELETE (value null), and when it was seen.</summary>
    public readonly record struct Change(double At, string? Value);

    readonly Process _process;
    readonly ConcurrentQueue<Change> _changes = new();
    string? _pending;
    int _lineOfEvent;

    public KeyWatch(TestLan lan, EtcdCluster etcd, string key)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "netns", "exec", lan.Node(1), EtcdCluster.Etcdctl, "--endpoints=" + etcd.Endpoints, "watch", key })
        {
            info.ArgumentList.Add(a);
        }
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) Read(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public IReadOnlyList<Change> Changes => [.. _changes];

    /// <summary>The first time after <paramref name="since"/> the key was set to <paramref name="value"/>, or null.</summary>
    public double? SetTo(string value, double since) =>
        _changes.Where(c => c.At > since && c.Value == value).Select(c => (double?)c.At).FirstOrDefault();

    // Events come as "PUT", key, value or "DELETE", key: one line each.
    void Read(string line)
    {
        double now = HolderIntervals.Now;
        if (line is "PUT" or "DELETE")
        {
            _pending = line;
            _lineOfEvent = 0;
            return;
        }
        _lineOfEvent++;
        if (_pending == "DELETE" && _lineOfEvent == 1)
        {
            _changes.Enqueue(new Change(now, null));
            _pending = null;
        }
        else if (_pending == "PUT" && _lineOfEvent == 2)
        {
            _changes.Enqueue(new Change(now, line));
            _pending = null;
        }
    }

    public override string ToString() => string.Join("\n", _changes.Select(c => $"{c.At:F3} {c.Value ?? "(deleted)"}"));

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
