using Ucarp.Core;
using Ucarp.Core.Cli;
using Ucarp.Interop;
using Ucarp.Linux;
using Ucarp.Loop;

namespace Ucarp.Net;

/// <summary>
/// The daemon's address changes (--manage-addresses: a group's steps, and the address
/// watcher's put-backs and removals), made on a thread of their own: a netlink request
/// waits up to a second for the kernel's answer and longer for its lock, and an advert must
/// not wait behind it (issue 28). One thread and one queue keep the kernel's changes in the
/// order they were asked for: a removal asked after an addition is made after it. The
/// results come back to the loop (an eventfd wakes it, once for all the changes the thread
/// took together), where their failures are logged and their callers told (the group's
/// follower goes on, a put-back is announced).
///
/// When no thread or eventfd can be had (descriptors or threads run out), a change is made
/// on the caller's thread as before: slow, but nothing is lost.
///
/// A result handed back to a group touches that group (GroupOutput.Touched); the others
/// (a --vmac child made or removed) start a group, which changes the set, or only log: so
/// a taking-over backup's thousands of results do not each make the group clock look at
/// every group.
/// </summary>
internal sealed class AddressChanger : ILoopSource, ITouchesItsGroups, IDisposable
{
    /// <summary>What one change did: whether the kernel changed, and the failures' log lines.</summary>
    public readonly record struct Result(bool Changed, IReadOnlyList<string> Errors);

    sealed record Job(string Interface, IReadOnlyList<IpAddress> Addresses, bool Add, Action<Result> Done)
    {
        /// <summary>Other kernel work kept in the same order (a --vmac child's removal): true when it changed something, its failures' lines added.</summary>
        public Func<List<string>, bool>? Work { get; init; }
        public Result Outcome;
    }

    readonly object _gate = new();   // a monitor: the thread waits on it for work
    readonly Queue<Job> _asked = new();
    readonly Queue<Job> _done = new();
    FileDescriptor? _wake;
    Thread? _thread;
    bool _unavailable;   // no eventfd or no thread: changes are made at once
    bool _ending;
    int _index = -1;

    /// <summary>
    /// Asks for the change; <paramref name="done"/> runs on the loop's thread once it is
    /// made. False when it cannot be made elsewhere: the caller makes it (<see cref="KernelAddresses"/>).
    /// </summary>
    public bool TryPost(string iface, IReadOnlyList<IpAddress> addresses, bool add, Action<Result> done)
    {
        if (!EnsureThread())
        {
            return false;
        }
        lock (_gate)
        {
            _asked.Enqueue(new Job(iface, Lists.ToArray(addresses), add, done));
            Monitor.Pulse(_gate);
        }
        return true;
    }

    /// <summary>
    /// Other kernel work, made after every change asked before it (a removed group's --vmac
    /// child goes after its addresses); <paramref name="done"/> as for an address change.
    /// False when it cannot be made elsewhere: the caller makes it.
    /// </summary>
    public bool TryPost(Func<List<string>, bool> work, Action<Result> done)
    {
        if (!EnsureThread())
        {
            return false;
        }
        lock (_gate)
        {
            _asked.Enqueue(new Job("", [], false, done) { Work = work });
            Monitor.Pulse(_gate);
        }
        return true;
    }

    bool EnsureThread()
    {
        // A reload's worker posts too (--vmac children made ahead): one thread is ever made.
        lock (_gate)
        {
            return EnsureThreadLocked();
        }
    }

    bool EnsureThreadLocked()
    {
        if (_thread is not null || _unavailable)
        {
            return !_unavailable;
        }
        int fd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (fd < 0)
        {
            _unavailable = true;
            return false;
        }
        _wake = new FileDescriptor(fd);
        try
        {
            _thread = new Thread(Work) { IsBackground = true, Name = "addresses" };
            _thread.Start();
            return true;
        }
        catch (Exception e) when (e is OutOfMemoryException or ThreadStartException)
        {
            _thread = null;
            _unavailable = true;
            _wake.Dispose();
            _wake = null;
            return false;
        }
    }

    /// <summary>
    /// The thread: every change waiting is taken at once, up to <see cref="PerBatch"/>; a run
    /// of address changes goes to the kernel together (<see cref="KernelAddresses.ChangeAll"/>),
    /// other work alone, in the order asked; the batch's results go back with one wake-up.
    /// </summary>
    void Work()
    {
        using var kernel = new KernelAddresses();
        var batch = new List<Job>(PerBatch);
        var steps = new KernelAddresses.Step[PerBatch];
        var results = new Result[PerBatch];
        while (true)
        {
            lock (_gate)
            {
                while (_asked.Count == 0 && !_ending)
                {
                    Monitor.Wait(_gate);
                }
                if (_asked.Count == 0)
                {
                    return;   // ending, and every change asked for is made (a last removal included)
                }
                while (batch.Count < PerBatch && _asked.TryDequeue(out Job? job))
                {
                    batch.Add(job);
                }
            }
            int handed = 0;
            for (int first = 0; first < batch.Count;)
            {
                if (batch[first].Work is { } work)
                {
                    // Other work may take long (a reload's --vmac children): what was
                    // done before it goes back first.
                    HandOver(batch, handed, first);
                    handed = first;
                    batch[first++].Outcome = RunWork(work);
                    continue;
                }
                int count = 0;
                while (first + count < batch.Count && batch[first + count].Work is null)
                {
                    Job job = batch[first + count];
                    steps[count++] = new KernelAddresses.Step(job.Interface, job.Addresses, job.Add);
                }
                ChangeAll(kernel, steps.AsSpan(0, count), results.AsSpan(0, count));
                for (int i = 0; i < count; i++)
                {
                    batch[first + i].Outcome = results[i];
                }
                first += count;
            }
            steps.AsSpan().Clear();
            results.AsSpan().Clear();
            HandOver(batch, handed, batch.Count);
            batch.Clear();
        }
    }

    /// <summary>Jobs [<paramref name="from"/>, <paramref name="to"/>) of the batch, done, go back to the loop with one wake-up.</summary>
    void HandOver(List<Job> batch, int from, int to)
    {
        if (from >= to)
        {
            return;
        }
        lock (_gate)
        {
            for (int i = from; i < to; i++)
            {
                _done.Enqueue(batch[i]);
            }
        }
        _wake!.Notify();
    }

    /// <summary>Changes taken together at most: 16 IPv6 addresses take the kernel about 2 ms when the host has thousands.</summary>
    const int PerBatch = NetlinkAddresses.PerDatagram;

    static Result RunWork(Func<List<string>, bool> work)
    {
        var errors = new List<string>();
        try
        {
            return new Result(work(errors), errors);
        }
        catch (Exception e)
        {
            // Told back as a failure rather than lost: the step goes on, as after a failed request.
            errors.Add(e.Message);
            return new Result(false, errors);
        }
    }

    static void ChangeAll(KernelAddresses kernel, ReadOnlySpan<KernelAddresses.Step> steps, Span<Result> results)
    {
        try
        {
            kernel.ChangeAll(steps, results);
        }
        catch (Exception e)
        {
            // As above, for each change of the batch.
            for (int i = 0; i < results.Length; i++)
            {
                results[i] = new Result(false, [e.Message]);
            }
        }
    }

    public void AddTo(PollSet set, long now) => _index = _wake is null ? -1 : set.Add(_wake.Fd);

    public long? NextDeadline(long now) => null;

    public unsafe void Dispatch(PollSet set, long now)
    {
        if (_wake is null || !set.Readable(_index))
        {
            return;
        }
        ulong value;
        Libc.Read(_wake.Fd, &value, sizeof(ulong));
        TellDone();
    }

    /// <summary>Tells the callers of every change made since the last look (on the loop's thread, or a caller waiting in its place).</summary>
    public void TellDone()
    {
        while (true)
        {
            Job job;
            lock (_gate)
            {
                if (!_done.TryDequeue(out job!))
                {
                    return;
                }
            }
            try
            {
                job.Done(job.Outcome);
            }
            catch
            {
                // The loop's fault handler stops every group, whose steps may wait for the
                // changes still queued here: the next pass must tell them, so wake it.
                _wake?.Notify();
                throw;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _ending = true;
            Monitor.PulseAll(_gate);
        }
        // A request still waiting on the kernel is given a moment; a thread that outlives
        // it finds its eventfd closed, and Notify refuses a closed descriptor.
        _thread?.Join(TimeSpan.FromSeconds(2));
        _wake?.Dispose();
    }
}
