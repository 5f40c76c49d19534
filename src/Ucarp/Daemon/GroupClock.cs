using Ucarp.Core;

namespace Ucarp.Daemon;

/// <summary>
/// When each group needs the loop next, kept in a heap, so that a pass costs what it
/// touched rather than a look at every group: with 4,080 groups, three sources each
/// asking every group for its deadlines on every pass (up to a thousand passes a second
/// as a backup hears the adverts) was most of the daemon's CPU.
/// A group's due time is the earliest of its election's timers, its follower's, its
/// health check's, and the polls of a child that cannot be waited for or of a stopping
/// group (<see cref="DueOf"/>). It can only move when something runs the group's code,
/// and every such path marks the group (<see cref="Touch"/>): a frame routed to it, its
/// gate (health, ucarpctl, the sync set, the link), its child's exit, its own timers;
/// anything else the loop runs (etcd, signals, the control socket, a reload, address
/// results) marks them all (<see cref="TouchAll"/>), as does any change to the set of
/// groups. A stale time that is too early costs one look; one that is too late would be a
/// missed timer, which <c>UCARP_NET_CHECK_DEADLINES=1</c> checks on every pass (the
/// namespace tests run with it).
/// </summary>
internal sealed class GroupClock(GroupSet groups)
{
    public const long PollEvery = 50_000;       // µs between looks at a child whose exit cannot be polled
    public const long StoppingPoll = 50_000;    // µs between looks at a stopping group's scripts

    const long None = long.MaxValue;

    Entry[] _heap = [];
    int[] _slots = [];                  // by clock id: the group's slot in _heap, or -1
    GroupRuntime[] _members = [];       // by clock id: the groups counted at the last rebuild
    int _size;
    readonly List<GroupRuntime> _dirty = [];
    readonly List<GroupRuntime> _due = [];
    // The groups TakeDue handed out in this pass (its time: _takenAt), computed again once,
    // when the pass is over, not before each of the pass's other sources asks (see TakeDue).
    readonly List<GroupRuntime> _taken = [];
    long _takenAt = long.MinValue;
    Entry[] _dueEntries = [];           // TakeDue's scratch: the due entries, sorted
    bool _allDirty = true;
    // What the set of groups looked like at the last rebuild, and its stamp: a group that
    // left the set since (its gate may still speak) is never put back in the heap.
    int _generation = -1, _running = -1, _count = -1, _stamp;

    /// <summary>The groups that have a child (a script or a check) whose exit the loop waits for.</summary>
    public List<GroupRuntime> WithChildren { get; } = [];

    /// <summary>Set from the environment: compare the heap with every group's deadlines on every pass.</summary>
    public bool Checking { get; } = Environment.GetEnvironmentVariable("UCARP_NET_CHECK_DEADLINES") == "1";

    /// <summary>Something ran the group's code: its due time is computed again before the next look.</summary>
    public void Touch(GroupRuntime g)
    {
        g.ClockElectionOnly = false;
        if (!g.ClockDirty)
        {
            g.ClockDirty = true;
            _dirty.Add(g);
        }
    }

    /// <summary>
    /// A frame ran the group's election and nothing else: it was BACKUP before and after, so
    /// no role change told its follower anything, and only the election's own deadline can
    /// have moved. Its due time is that and what the rest asked for when last computed
    /// (<see cref="GroupRuntime.ClockOthers"/>), which spares a busy backup a look into the
    /// follower, the scripts and the check for every advert it hears. Anything else that
    /// touches the group before the next look makes it a whole computation again.
    /// </summary>
    public void TouchElection(GroupRuntime g)
    {
        if (!g.ClockDirty)
        {
            g.ClockDirty = true;
            g.ClockElectionOnly = true;
            _dirty.Add(g);
        }
    }

    /// <summary>Something the clock cannot see into ran: every group's due time is computed again.</summary>
    public void TouchAll() => _allDirty = true;

    /// <summary>Brings the heap up to date with what was touched; cheap when nothing was.</summary>
    public void Refresh(long now)
    {
        ComputeTaken();
        RefreshTouched(now);
    }

    /// <summary>The groups handed out by the pass's TakeDue calls: touched now, so computed again.</summary>
    void ComputeTaken()
    {
        for (int i = 0; i < _taken.Count; i++)
        {
            GroupRuntime g = _taken[i];
            g.ClockTaken = false;
            Touch(g);
        }
        _taken.Clear();
    }

    void RefreshTouched(long now)
    {
        if (_allDirty || groups.Generation != _generation || groups.Running.Count != _running || groups.Count != _count)
        {
            Rebuild(now);
            return;
        }
        for (int i = 0; i < _dirty.Count; i++)
        {
            GroupRuntime g = _dirty[i];
            g.ClockDirty = false;
            if (g.ClockStamp != _stamp)
            {
                continue;
            }
            if (g.ClockElectionOnly)
            {
                g.ClockElectionOnly = false;
                Place(g, Deadlines.Min(g.ClockOthers, ElectionDue(g)));
            }
            else
            {
                Place(g, Compute(g, now));
                NoteChildren(g);
            }
        }
        _dirty.Clear();
    }

    /// <summary>The earliest due time of any group, as computed at its last touch, or null.</summary>
    public long? Next(long now)
    {
        Refresh(now);
        if (Checking)
        {
            Check(now);
        }
        return _size > 0 ? _heap[0].Due : null;
    }

    /// <summary>
    /// The groups due by <paramref name="now"/>, earliest first, marked taken: whatever the
    /// caller does to them, their time is computed again when the pass is over (the next
    /// <see cref="Refresh"/> or <see cref="Next"/>). They stay in the heap: a group's next
    /// computation moves it once, where taking it out and putting it back walked the heap
    /// twice for each of the three sources that ask in a pass. Until then a taken group
    /// keeps its time, due, and the pass's later sources (the same <paramref name="now"/>)
    /// are handed it again; each looks at its own deadline, so one whose work is done skips
    /// it. Computing a slot's groups again for each of the three had been a twentieth
    /// of a 4,080-group master's CPU. A group touched meanwhile (a frame, a gate) is
    /// computed at once, as before. The list is the clock's own, valid until the next call.
    /// </summary>
    public List<GroupRuntime> TakeDue(long now)
    {
        bool firstOfPass = now != _takenAt;
        if (firstOfPass)
        {
            ComputeTaken();
            _takenAt = now;
        }
        RefreshTouched(now);
        _due.Clear();
        int count = 0;
        if (_size > 0 && _heap[0].Due <= now)
        {
            count = CollectDue(0, now, 0);
            if (count > 1)
            {
                _dueEntries.AsSpan(0, count).Sort(static (a, b) => a.Due != b.Due ? a.Due.CompareTo(b.Due) : a.Id.CompareTo(b.Id));
            }
            for (int i = 0; i < count; i++)
            {
                _due.Add(_members[_dueEntries[i].Id]);
            }
        }
        // A slot's groups (128 at once at 4,080) are each read for the first time in an interval: the
        // lines of all of them are fetched before any is read. By the pass's first source
        // to ask: the others (every one asks, with the same time) find them in the cache.
        if (count > 1 && firstOfPass)
        {
            for (int stage = 0; stage < GroupRuntime.PrefetchStages; stage++)
            {
                foreach (GroupRuntime g in _due)
                {
                    GroupRuntime.Prefetch(g, stage);
                }
            }
        }
        foreach (GroupRuntime g in _due)
        {
            if (!g.ClockTaken)
            {
                g.ClockTaken = true;
                _taken.Add(g);
            }
        }
        return _due;
    }

    /// <summary>The entries due by <paramref name="now"/> in the subtree at <paramref name="slot"/> (a heap's due entries are a subtree at its root), copied from <paramref name="count"/> on; the new count.</summary>
    int CollectDue(int slot, long now, int count)
    {
        if (slot >= _size || _heap[slot].Due > now)
        {
            return count;
        }
        if (count == _dueEntries.Length)
        {
            Array.Resize(ref _dueEntries, Math.Max(16, 2 * count));
        }
        _dueEntries[count++] = _heap[slot];
        count = CollectDue(2 * slot + 1, now, count);
        return CollectDue(2 * slot + 2, now, count);
    }

    /// <summary>When the group needs the loop next: what the timers, the reaper and the lifecycle each wait for.</summary>
    public long? DueOf(GroupRuntime g, long now) => Deadlines.Min(OthersDue(g, now), ElectionDue(g));

    /// <summary><see cref="DueOf"/>, keeping the part that is not the election's for <see cref="TouchElection"/>.</summary>
    long? Compute(GroupRuntime g, long now)
    {
        long? others = OthersDue(g, now);
        g.ClockOthers = others;
        return Deadlines.Min(others, ElectionDue(g));
    }

    /// <summary>The election's timers (behind its gate), while the group and the daemon run.</summary>
    long? ElectionDue(GroupRuntime g) => g.Stopping || groups.Stopping ? null : g.Gate.NextDeadline;

    /// <summary>Everything else the group waits for: its follower, its check, the polls of its children and of its stopping.</summary>
    long? OthersDue(GroupRuntime g, long now)
    {
        long? due = g.Follower.NextDeadline;
        if (!g.Stopping && !groups.Stopping)
        {
            due = Deadlines.Min(due, g.Health?.NextDeadline);
        }
        if (g.Scripts.NeedsPolling || g.Health?.NeedsPolling == true)
        {
            due = Deadlines.Min(due, now + PollEvery);
        }
        if (g.Stopping && !g.Finished(now))
        {
            due = Deadlines.Min(due, now + StoppingPoll);
        }
        return due;
    }

    void Rebuild(long now)
    {
        _allDirty = false;
        _generation = groups.Generation;
        _running = groups.Running.Count;
        _count = groups.Count;
        _stamp++;
        _size = 0;
        if (_members.Length != groups.Count)
        {
            _heap = new Entry[groups.Count];
            _slots = new int[groups.Count];
            _members = new GroupRuntime[groups.Count];
        }
        foreach (GroupRuntime g in _dirty)
        {
            g.ClockDirty = false;
        }
        _dirty.Clear();
        foreach (GroupRuntime g in _taken)
        {
            g.ClockTaken = false;
        }
        _taken.Clear();
        WithChildren.Clear();
        for (int i = 0; i < groups.Count; i++)
        {
            GroupRuntime g = groups[i];
            g.ClockDirty = false;
            g.HasChildPolled = false;
            g.ClockId = i;
            _members[i] = g;
            _slots[i] = -1;
            g.ClockStamp = _stamp;
            g.Clock = this;
            g.ClockElectionOnly = false;
            Place(g, Compute(g, now));
            NoteChildren(g);
        }
    }

    static bool HasChild(GroupRuntime g) => g.Scripts.ExitFd >= 0 || g.Health?.ExitFd is >= 0;

    void NoteChildren(GroupRuntime g)
    {
        bool has = HasChild(g);
        if (has != g.HasChildPolled)
        {
            g.HasChildPolled = has;
            if (has)
            {
                WithChildren.Add(g);
            }
            else
            {
                WithChildren.Remove(g);
                // Not polled any more: no index of an old wait is read for it.
                g.ScriptPoll = g.HealthPoll = -1;
            }
        }
    }

    /// <summary>UCARP_NET_CHECK_DEADLINES: a group whose deadline is earlier than the heap says was changed without a touch.</summary>
    void Check(long now)
    {
        for (int i = 0; i < groups.Count; i++)
        {
            GroupRuntime g = groups[i];
            long due = DueOf(g, now) ?? None;
            int slot = SlotOf(g);
            long kept = slot >= 0 ? _heap[slot].Due : None;
            if (due < kept)
            {
                Environment.FailFast($"GroupClock: group {g.Name} is due at {due} but the heap says {(kept == None ? "never" : kept)} (now {now})");
            }
            if (HasChild(g) && !g.HasChildPolled)
            {
                Environment.FailFast($"GroupClock: group {g.Name} has a child the reaper does not poll");
            }
        }
    }

    // The heap: a binary min-heap of (due time, clock id) kept in one array, and each
    // group's slot in it (-1: none) in another, both indexed without touching a group. A
    // walk down twelve levels (4,080 groups) that read each group's fields instead missed
    // the cache at every level: it was a tenth of a 4,080-group master's CPU.

    /// <summary>The slot of the group (-1: not in the heap); its due time is <c>_heap[slot].Due</c>.</summary>
    int SlotOf(GroupRuntime g) => g.ClockStamp == _stamp && g.ClockId < _slots.Length ? _slots[g.ClockId] : -1;

    void Place(GroupRuntime g, long? due)
    {
        int slot = _slots[g.ClockId];
        if (due is not long at)
        {
            if (slot >= 0)
            {
                RemoveAt(slot);
            }
            return;
        }
        if (slot < 0)
        {
            _heap[_size] = new Entry(at, g.ClockId);
            _slots[g.ClockId] = _size;
            Up(_size++);
            return;
        }
        // Moved either way, later too: each frame a backup hears moves its master-down time
        // later, and a time left early (as this did while a walk down the heap read every
        // group it passed) woke the loop for a look that found nothing due. With this and
        // the heap's own array, a 4,080-group backup woke 162 times a second, not 580.
        long kept = _heap[slot].Due;
        _heap[slot].Due = at;
        if (at < kept)
        {
            Up(slot);
        }
        else if (at > kept)
        {
            Down(slot);
        }
    }

    void RemoveAt(int slot)
    {
        _slots[_heap[slot].Id] = -1;
        _size--;
        if (slot == _size)
        {
            return;
        }
        _heap[slot] = _heap[_size];
        _slots[_heap[slot].Id] = slot;
        Down(Up(slot));
    }

    /// <summary>Moves the entry at <paramref name="slot"/> towards the root while it is due before its parent; returns where it rests.</summary>
    int Up(int slot)
    {
        Entry e = _heap[slot];
        while (slot > 0)
        {
            int parent = (slot - 1) / 2;
            if (_heap[parent].Due <= e.Due)
            {
                break;
            }
            _heap[slot] = _heap[parent];
            _slots[_heap[slot].Id] = slot;
            slot = parent;
        }
        _heap[slot] = e;
        _slots[e.Id] = slot;
        return slot;
    }

    void Down(int slot)
    {
        Entry e = _heap[slot];
        while (true)
        {
            int child = 2 * slot + 1;
            if (child >= _size)
            {
                break;
            }
            if (child + 1 < _size && _heap[child + 1].Due < _heap[child].Due)
            {
                child++;
            }
            if (_heap[child].Due >= e.Due)
            {
                break;
            }
            _heap[slot] = _heap[child];
            _slots[_heap[slot].Id] = slot;
            slot = child;
        }
        _heap[slot] = e;
        _slots[e.Id] = slot;
    }

    /// <summary>A group's place in the heap: when it is due, and its clock id (its index in <see cref="_members"/>).</summary>
    struct Entry(long due, int id)
    {
        public long Due = due;
        public readonly int Id = id;
    }
}
