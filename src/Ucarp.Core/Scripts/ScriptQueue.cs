using Ucarp.Core.Carp;

namespace Ucarp.Core.Scripts;

/// <summary>What the script queue needs from its host: start a process, put a frame on the wire, change addresses.</summary>
public interface IScriptQueueHost
{
    /// <summary>Starts the script (its Path is set); false when it could not be started (then it counts as finished).</summary>
    bool Start(ScriptInvocation script);

    void SendFrame(ReadOnlySpan<byte> frame);

    /// <summary>--manage-addresses: adds (Up) or removes (Down) the step's addresses on the interface.</summary>
    void ChangeAddresses(ScriptInvocation step) { }
}

/// <summary>
/// Runs state scripts one at a time, in order, without ever blocking the protocol
/// (ucarp waits for each script and stops advertising meanwhile).
///
/// Two rules keep it bounded and correct when states flap faster than scripts finish:
/// a request that undoes the last waiting request cancels it instead of queueing
/// (down after a waiting up: neither runs), so at most one script ever waits; and the
/// last script to run always matches the final state. A gratuitous ARP asked for
/// while scripts run or wait is sent when the scripts before it are done, so the
/// address is announced after the upscript has configured it; every one asked for is
/// sent (a master announces twice, and a slow upscript must not swallow the second).
/// Managed addresses take their place in the same order: added just before the
/// upscript, removed just after the downscript (a step may have no script at all).
/// </summary>
public sealed class ScriptQueue
{
    readonly IScriptQueueHost _host;
    readonly List<(ScriptInvocation Script, List<byte[]> AnnounceAfter)> _waiting = [];
    List<byte[]> _announceAfterRunning = [];

    public ScriptQueue(IScriptQueueHost host) => _host = host;

    public ScriptInvocation? Running { get; private set; }

    public int Waiting => _waiting.Count;

    public bool Idle => Running is null && _waiting.Count == 0;

    public void Request(ScriptInvocation script)
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
            _host.SendFrame(frame);
        }
    }

    /// <summary>A repeated announcement: sent when no script runs or waits, else dropped (see ICarpHost.SendRefresh).</summary>
    public void Refresh(ReadOnlySpan<byte> frame)
    {
        if (Idle)
        {
            _host.SendFrame(frame);
        }
    }

    /// <summary>The running script has finished (or was reaped): send what waited on it, start the next.</summary>
    public void Completed()
    {
        ScriptInvocation? ended = Running;
        Running = null;
        if (ended is not null)
        {
            AfterScript(ended);
        }
        Flush();
        while (Running is null && _waiting.Count > 0)
        {
            var (next, announce) = _waiting[0];
            _waiting.RemoveAt(0);
            _announceAfterRunning = announce;
            StartOrSkip(next);
        }
    }

    void StartOrSkip(ScriptInvocation script)
    {
        if (script.Kind == ScriptKind.Up && script.Addresses.Count != 0)
        {
            _host.ChangeAddresses(script);
        }
        if (script.Path is not null && _host.Start(script))
        {
            Running = script;
        }
        else
        {
            AfterScript(script);
            Flush();
        }
    }

    void AfterScript(ScriptInvocation script)
    {
        if (script.Kind == ScriptKind.Down && script.Addresses.Count != 0)
        {
            _host.ChangeAddresses(script);
        }
    }

    /// <summary>Sends, in order, what waited for the script that just ended.</summary>
    void Flush()
    {
        List<byte[]> frames = _announceAfterRunning;
        _announceAfterRunning = [];
        foreach (byte[] frame in frames)
        {
            _host.SendFrame(frame);
        }
    }
}
