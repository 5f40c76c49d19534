namespace Ucarp.Core.Follow;

/// <summary>
/// Everything that follows a group's role changes, in order, and the one place that
/// order is kept: the daemon and every simulator drive this same class.
///
/// Scripts run one at a time, in order, without ever blocking the protocol (ucarp waits
/// for each script and stops advertising meanwhile). Two rules keep that bounded and
/// correct when roles flap faster than scripts finish: a request that undoes the last
/// waiting request cancels it instead of queueing (down after a waiting up: neither
/// runs), so at most one script ever waits; and the last script to run always matches
/// the final role. Managed addresses take their place in the same order: added just
/// before the upscript, removed just after the downscript (a step may have no script).
///
/// An announcement asked for while scripts run or wait is sent when the scripts before
/// it are done, so the address is announced after the upscript has configured it; every
/// one asked for is sent (a master announces twice, and a slow upscript must not swallow
/// the second). A host may change addresses elsewhere than on the protocol's thread
/// (<see cref="IFollowerOutput.ChangeAddresses"/> says so): the step then waits for
/// <see cref="AddressesChanged"/> as it waits for its script, and so does what follows it. The bow-out advert and the etcd requests that give an address up wait
/// for every script (<see cref="AfterScripts{T}"/>), at the latest until their deadline.
/// Pure: time comes in as "now", effects leave through <see cref="IFollowerOutput"/>.
/// </summary>
public sealed class RoleFollower(IFollowerOutput output)
{
    readonly List<(ScriptInvocation Script, List<byte[]> AnnounceAfter)> _waiting = [];
    List<byte[]> _announceAfterRunning = [];
    readonly AfterScripts<Deferred> _after = new();
    Phase _phase;

    /// <summary>Where the step under way is: its addresses added before its script, its script, its addresses removed after it.</summary>
    enum Phase { Adding, Script, Removing }

    /// <summary>The step under way: its script runs, or its addresses are being changed.</summary>
    public ScriptInvocation? Running { get; private set; }

    /// <summary>The step under way waits for its addresses to be changed (<see cref="AddressesChanged"/>).</summary>
    public bool ChangingAddresses => Running is not null && _phase != Phase.Script;

    public int Waiting => _waiting.Count;

    /// <summary>No script runs or waits.</summary>
    public bool Idle => Running is null && _waiting.Count == 0;

    /// <summary>Nothing left to do: no script, and nothing waiting for one.</summary>
    public bool Done => Idle && _after.Count == 0;

    /// <summary>A bow-out advert waits for the scripts.</summary>
    public bool BowOutPending => _after.Any(d => d.IsBowOut);

    /// <summary>When <see cref="OnTimer"/> must run: the deadline of what waits for the scripts, or null.</summary>
    public long? NextDeadline => _after.Deadline;

    public void RunScript(ScriptInvocation script)
    {
        if (_waiting.Count > 0 && _waiting[^1].Script.Kind != script.Kind)
        {
            // It undoes a script that has not started yet: run neither.
            _waiting.RemoveAt(_waiting.Count - 1);
            return;
        }
        if (Running is not null)
        {
            _waiting.Add((script, []));
            return;
        }
        StartOrSkip(script);
    }

    public void Announce(ReadOnlySpan<byte> frame)
    {
        if (_waiting.Count > 0)
        {
            _waiting[^1].AnnounceAfter.Add(frame.ToArray());
        }
        else if (Running is not null)
        {
            _announceAfterRunning.Add(frame.ToArray());
        }
        else
        {
            output.SendAnnouncement(frame);
        }
    }

    /// <summary>
    /// --garp-refresh's repeat of the announcement: sent when no script runs or waits,
    /// else dropped (the announcement that follows that script says the same), so a hung
    /// upscript cannot make refreshes pile up.
    /// </summary>
    public void Refresh(ReadOnlySpan<byte> frame)
    {
        if (Idle)
        {
            output.SendAnnouncement(frame);
        }
    }

    /// <summary>Sends <paramref name="effect"/> once every script asked for before it has ended, or at <paramref name="deadline"/>.</summary>
    public void AfterScripts(in Deferred effect, long deadline)
    {
        _after.Add(effect, deadline);
        SendDue(long.MinValue); // idle: everything goes; else nothing before its deadline
    }

    /// <summary>
    /// The role is MASTER again (a waiting bow-out must not tell backups to take over now),
    /// or the interface is gone (nothing can be sent on it): the bow-out is dropped.
    /// </summary>
    public void CancelBowOut() => _after.RemoveWhere(d => d.IsBowOut);

    /// <summary>A deadline has come: what waited for a script that is still running goes now.</summary>
    public void OnTimer(long now) => SendDue(now);

    /// <summary>The running script has exited (or could not be waited for): send what waited on it, start the next.</summary>
    public void ScriptEnded()
    {
        if (Running is ScriptInvocation ended && _phase == Phase.Script)
        {
            AfterScript(ended);
        }
        else if (Running is null)
        {
            Flush();
        }
        Next();
    }

    /// <summary>The addresses the host was changing for the step under way are changed: its script starts, or the step ends.</summary>
    public void AddressesChanged()
    {
        if (Running is not ScriptInvocation step || _phase == Phase.Script)
        {
            return;
        }
        if (_phase == Phase.Adding)
        {
            StartScript(step);
        }
        else
        {
            End();
        }
        Next();
    }

    /// <summary>The waiting steps, started in turn while each is over at once; then what waited for the scripts.</summary>
    void Next()
    {
        while (Running is null && _waiting.Count > 0)
        {
            var (next, announce) = _waiting[0];
            _waiting.RemoveAt(0);
            _announceAfterRunning = announce;
            StartOrSkip(next);
        }
        SendDue(long.MinValue); // idle: everything goes; else nothing before its deadline
    }

    void StartOrSkip(ScriptInvocation script)
    {
        Running = script;
        if (script.Kind == ScriptKind.Up && script.Addresses.Count != 0 && output.ChangeAddresses(script))
        {
            _phase = Phase.Adding;
            return;
        }
        StartScript(script);
    }

    void StartScript(ScriptInvocation script)
    {
        _phase = Phase.Script;
        if (script.Path is null || !output.StartScript(script))
        {
            AfterScript(script);
        }
    }

    void AfterScript(ScriptInvocation script)
    {
        if (script.Kind == ScriptKind.Down && script.Addresses.Count != 0 && output.ChangeAddresses(script))
        {
            _phase = Phase.Removing;
            return;
        }
        End();
    }

    /// <summary>The step is over: the announcements that waited for it go.</summary>
    void End()
    {
        Running = null;
        Flush();
    }

    /// <summary>Sends, in order, the announcements that waited for the step that just ended.</summary>
    void Flush()
    {
        List<byte[]> frames = _announceAfterRunning;
        _announceAfterRunning = [];
        foreach (byte[] frame in frames)
        {
            output.SendAnnouncement(frame);
        }
    }

    /// <summary>What waits for the scripts and may go: everything once they are idle, else what is past its deadline.</summary>
    void SendDue(long now)
    {
        while (_after.TryTake(Idle, now, out Deferred effect))
        {
            output.SendAfterScripts(effect);
        }
    }
}
