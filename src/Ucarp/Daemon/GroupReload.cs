using Ucarp.Control;
using Ucarp.Core.Config;
using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Loop;

namespace Ucarp.Daemon;

/// <summary>
/// SIGHUP and `ucarpctl reload`: the file is read on a worker thread (a slow disk never
/// delays an advert), and what it says is applied to the groups on the loop's thread when
/// the worker's descriptor says it is done; every request that came meanwhile gets that answer.
/// </summary>
internal sealed class GroupReload(GroupSet groups, string? configFile, string startDirectory) : ILoopSource, IDisposable
{
    readonly List<Action<ControlReply>?> _replies = [];
    ReloadWorker? _worker;
    int _poll = -1;

    /// <summary>Starts reading the file again; <paramref name="reply"/> (ucarpctl's, or null for SIGHUP) gets the outcome.</summary>
    public void Start(Action<ControlReply>? reply, long now)
    {
        if (!groups.Many || configFile is null)
        {
            reply?.Invoke(new ControlReply(1, Messages.ReloadNeedsConfig + "\n"));
            return;
        }
        _replies.Add(reply);
        if (_worker is null && !ReloadWorker.TryCreate(configFile, startDirectory, out _worker, out SysError error))
        {
            // No eventfd, no worker: refused at once, as a read that failed is (its failure the
            // file's one problem), rather than an exception out of the loop.
            Complete(new ConfigReadResult([], [ConfigDiagnostic.Error(0, error.Perror)], false), now);
            return;
        }
        _worker.Start();
    }

    public void AddTo(PollSet set, long now) => _poll = _worker is not null && _worker.Busy ? set.Add(_worker.Fd) : -1;

    public long? NextDeadline(long now) => null;

    public void Dispatch(PollSet set, long now)
    {
        if (_worker is null || !set.Readable(_poll) || _worker.Take() is not ConfigReadResult result)
        {
            return;
        }
        Complete(result, now);
    }

    /// <summary>The file as read is applied (or refused), and every request that waited for it gets the answer.</summary>
    void Complete(ConfigReadResult result, long now)
    {
        ControlReply reply = groups.Stopping ? new ControlReply(1, Messages.ReloadWhileStopping + "\n") : groups.Apply(result, configFile!, now);
        foreach (Action<ControlReply>? complete in _replies)
        {
            complete?.Invoke(reply);
        }
        _replies.Clear();
    }

    public void Dispose() => _worker?.Dispose();
}
