using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// The logger's thread: syslog(3) and the console writes leave the event loop, which only
/// queues. A stalled journald or /dev/log reader, or a stdout pipe nobody reads, then
/// stalls this thread alone: adverts and timers go on. The queue is bounded: when it is
/// full a line is dropped and counted, and the count is logged once the queue drains.
/// Lines keep their order (syslog, then the console, as log.c does).
/// </summary>
internal sealed class LogWriter
{
    /// <summary>One log line's effects, or an openlog(); only the worker runs them.</summary>
    internal readonly record struct Entry(int Priority, string? SyslogLine, Stream? Console, byte[]? ConsoleBytes, int OpenLogFacility = -1);

    public const int Capacity = 1000;

    readonly object _gate = new();
    readonly Queue<Entry> _queue = new();
    readonly Action<int> _openLog;
    readonly Action<long> _reportDropped;
    Thread? _thread;
    bool _writing;
    long _dropped;

    /// <param name="openLog">openlog() with the facility, on the worker so that it never waits behind a stuck syslog().</param>
    /// <param name="reportDropped">Logs how many lines were dropped; called on the worker once the queue has room again.</param>
    public LogWriter(Action<int> openLog, Action<long> reportDropped)
    {
        _openLog = openLog;
        _reportDropped = reportDropped;
    }

    /// <summary>Queues the entry, or counts it as dropped when the queue is full; never blocks on I/O.</summary>
    public void Enqueue(in Entry entry)
    {
        lock (_gate)
        {
            if (_queue.Count >= Capacity)
            {
                _dropped++;
                return;
            }
            _queue.Enqueue(entry);
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "ucarp log" };
                _thread.Start();
            }
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Waits until everything queued so far is written, at most <paramref name="timeout"/>: before exit.</summary>
    public bool Flush(TimeSpan timeout)
    {
        lock (_gate)
        {
            return BoundedWait.Until(_gate, () => _queue.Count == 0 && !_writing, timeout);
        }
    }

    void Run()
    {
        while (true)
        {
            Entry entry;
            long dropped = 0;
            lock (_gate)
            {
                _writing = false;
                Monitor.PulseAll(_gate);
                while (_queue.Count == 0)
                {
                    Monitor.Wait(_gate);
                }
                entry = _queue.Dequeue();
                _writing = true;
                // Said once the queue has room again, so the notice itself is not dropped.
                if (_dropped > 0 && _queue.Count < Capacity / 2)
                {
                    dropped = _dropped;
                    _dropped = 0;
                }
            }
            Write(entry);
            if (dropped > 0)
            {
                _reportDropped(dropped);
            }
        }
    }

    void Write(in Entry entry)
    {
        if (entry.OpenLogFacility >= 0)
        {
            _openLog(entry.OpenLogFacility);
        }
        if (entry.SyslogLine is not null)
        {
            Syslog(entry.Priority, entry.SyslogLine);
        }
        if (entry.Console is not null)
        {
            try
            {
                entry.Console.Write(entry.ConsoleBytes);
                entry.Console.Flush();
            }
            catch (IOException)
            {
                // A closed terminal or pipe must not take the daemon down.
            }
        }
    }

    static unsafe void Syslog(int priority, string line)
    {
        byte[] message = CStrings.Z(line);
        fixed (byte* format = "%s\0"u8)
        fixed (byte* text = message)
        {
            Libc.Syslog(priority, format, text);
        }
    }
}
