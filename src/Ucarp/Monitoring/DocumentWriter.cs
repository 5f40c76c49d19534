namespace Ucarp.Monitoring;

/// <summary>
/// The state and metrics files are written on a thread of their own: a hung NFS mount or
/// a slow disk stalls this thread, never the event loop (which owns the fence, the adverts
/// and the timers). Only the latest documents matter: a newer post replaces one not yet
/// started, and a post while a write is in progress just waits its turn, without blocking.
/// </summary>
internal sealed class DocumentWriter
{
    readonly object _gate = new();
    Action? _pending;
    Thread? _thread;
    bool _writing;
    bool _final;

    /// <summary>Hands the write over; returns at once. Ignored after <see cref="Finish"/>.</summary>
    public void Post(Action write)
    {
        lock (_gate)
        {
            PostLocked(write);
        }
    }

    void PostLocked(Action write)
    {
        if (_final)
        {
            return;
        }
        _pending = write;
        if (_thread is null)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "ucarp files" };
            _thread.Start();
        }
        Monitor.PulseAll(_gate);
    }

    /// <summary>
    /// The last write (at exit): replaces whatever waits, then waits at most
    /// <paramref name="timeout"/> for it to be done. False when the files did not answer in time.
    /// </summary>
    public bool Finish(Action write, TimeSpan timeout)
    {
        lock (_gate)
        {
            PostLocked(write);
            _final = true;
            return Linux.BoundedWait.Until(_gate, () => _pending is null && !_writing, timeout);
        }
    }

    void Run()
    {
        while (true)
        {
            Action write;
            lock (_gate)
            {
                _writing = false;
                Monitor.PulseAll(_gate);
                while (_pending is null)
                {
                    Monitor.Wait(_gate);
                }
                write = _pending;
                _pending = null;
                _writing = true;
            }
            write();
        }
    }
}
