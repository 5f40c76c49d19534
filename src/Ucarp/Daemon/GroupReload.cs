using Ucarp.Control;
using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Loop;

namespace Ucarp.Daemon;

/// <summary>
/// SIGHUP and `ucarpctl reload`: the file is read on a worker thread (a slow disk never
/// delays an advert), and what it says is applied to the groups on the loop's thread when
/// the worker's descriptor says it is done. A request gets the answer of a read that
/// started after it: one that comes while a read is under way waits for the next read
/// (the file may have changed since the first began), and every request waiting for the
/// same read shares it. A read that hangs (a dead mount) holds the next one back, and
/// requests made meanwhile are refused with a line saying so instead of waiting for good.
/// </summary>
internal sealed class GroupReload(GroupSet groups, string? configFile, string startDirectory) : ILoopSource, IDisposable
{
    static readonly long StuckAfter = 10 * Ucarp.Core.Carp.Timing.Second;

    readonly List<Action<ControlReply>?> _replies = [];   // waiting for the read under way
    readonly List<Action<ControlReply>?> _next = [];       // came after it began: for the next read (SIGHUP's null too)
    long _readSince;
    ReloadWorker? _worker;
    int _poll = -1;
    bool _told;

    /// <summary>Told when reading begins (true) and when the last request is answered (false): systemd's RELOADING=1 and READY=1.</summary>
    public Action<bool, long>? Reloading { get; set; }

    /// <summary>Starts reading the file again; <paramref name="reply"/> (ucarpctl's, or null for SIGHUP) gets the outcome.</summary>
    public void Start(Action<ControlReply>? reply, long now)
    {
        if (!groups.Many || configFile is null)
        {
            reply?.Invoke(new ControlReply(1, Messages.ReloadNeedsConfig + "\n"));
            return;
        }
        if (_worker is null && !ReloadWorker.TryCreate(configFile, startDirectory, groups.MakeVmacsAhead, out _worker, out SysError error))
        {
            // No eventfd, no worker: refused at once, as a read that failed is (its failure the
            // file's one problem), rather than an exception out of the loop.
            _replies.Add(reply);
            Complete(ReloadRead.Failed(error.Perror), now);
            return;
        }
        if (_worker.Busy)
        {
            if (now - _readSince >= StuckAfter)
            {
                string line = Messages.ReloadStuck(configFile, (now - _readSince) / Ucarp.Core.Carp.Timing.Second);
                groups.Log.Write(LogLevel.Error, line);
                reply?.Invoke(new ControlReply(1, line + "\n"));
                return;
            }
            _next.Add(reply);
            return;
        }
        _replies.Add(reply);
        Read(now);
    }

    void Read(long now)
    {
        _readSince = now;
        if (!_told)
        {
            _told = true;
            Reloading?.Invoke(true, now);
        }
        _worker!.Start();
    }

    public void AddTo(PollSet set, long now) => _poll = _worker is not null && _worker.Busy ? set.Add(_worker.Fd) : -1;

    public long? NextDeadline(long now) => null;

    public void Dispatch(PollSet set, long now)
    {
        if (_worker is null || !set.Readable(_poll) || _worker.Take() is not ReloadRead result)
        {
            return;
        }
        Complete(result, now);
    }

    /// <summary>The file as read is applied (or refused), and every request that waited for it gets the answer.</summary>
    void Complete(ReloadRead result, long now)
    {
        ControlReply reply;
        if (groups.Stopping)
        {
            result.DisposeTls();
            reply = new ControlReply(1, Messages.ReloadWhileStopping + "\n");
        }
        else
        {
            reply = groups.Apply(result, configFile!, now);
        }
        // The --vmac children made ahead for groups the file did not start (refused, held back).
        groups.Interfaces.Vmacs.Sweep(result.Ticket, groups.Log, groups.Addresses);
        foreach (Action<ControlReply>? complete in _replies)
        {
            complete?.Invoke(reply);
        }
        _replies.Clear();
        if (_next.Count == 0)
        {
            Ready(now);
            return;
        }
        if (groups.Stopping)
        {
            // Nothing is read again while stopping: they get the same answer.
            foreach (Action<ControlReply>? complete in _next)
            {
                complete?.Invoke(reply);
            }
            _next.Clear();
            Ready(now);
            return;
        }
        // Asked for while that read was under way: the file is read once more for them.
        _replies.AddRange(_next);
        _next.Clear();
        Read(now);
    }

    void Ready(long now)
    {
        if (_told)
        {
            _told = false;
            Reloading?.Invoke(false, now);
        }
    }

    public void Dispose() => _worker?.Dispose();
}
