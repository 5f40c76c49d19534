using Ucarp.Core.Carp;
using Ucarp.Core.Logging;

namespace Ucarp.Simulation.Tests;

/// <summary>One host on the virtual LAN: a real <see cref="CarpMachine"/> and the effects it emitted.</summary>
sealed class SimNode : ICarpHost
{
    readonly VirtualLan _lan;
    readonly CarpSettings _settings;

    public CarpSettings Settings => _settings;
    long _timerToken;

    public SimNode(VirtualLan lan, int index, CarpSettings settings)
    {
        _lan = lan;
        Index = index;
        _settings = settings;
        Machine = new CarpMachine(settings, this, new SeededCarpRandom(lan.Seed * 31 + index));
    }

    public int Index { get; }
    public CarpMachine Machine { get; private set; }
    public bool Alive { get; private set; }
    /// <summary>Bumped on every restart, so frames in flight to a dead incarnation are dropped.</summary>
    public int Epoch { get; private set; }
    public int Partition { get; set; }
    public bool DebugEnabled => false;

    public List<(long Time, string What)> Events { get; } = [];
    public long? LastAdvertAt { get; private set; }
    public long? LastGarpAt { get; private set; }

    public void Start()
    {
        Alive = true;
        Epoch++;
        Machine = new CarpMachine(_settings, this, new SeededCarpRandom(_lan.Seed * 31 + Index + Epoch * 1000));
        Machine.Start(_lan.Now);
        Reschedule();
    }

    public void Kill()
    {
        Alive = false;
        _lan.Log($"node {Index} killed");
    }

    public void Receive(byte[] frame)
    {
        Machine.OnFrame(frame, _lan.Now);
        Reschedule();
    }

    public void Demote()
    {
        Machine.Demote(_lan.Now);
        Reschedule();
    }

    void Reschedule()
    {
        if (Machine.NextDeadline is not long due)
        {
            return;
        }
        long token = ++_timerToken;
        int epoch = Epoch;
        _lan.At(due, () =>
        {
            if (Alive && Epoch == epoch && token == _timerToken)
            {
                Machine.OnTimer(_lan.Now);
                Reschedule();
            }
        });
    }

    public void Write(LogLevel level, string message)
    {
        Events.Add((_lan.Now, LogLevelText.Prefix(level) + message));
        _lan.Log($"node {Index}: {LogLevelText.Prefix(level)}{message}");
    }

    public string? SendAdvert(ReadOnlySpan<byte> frame)
    {
        LastAdvertAt = _lan.Now;
        _lan.Transmit(this, frame.ToArray(), isAdvert: true);
        return null;
    }

    public void SendGratuitousArp(ReadOnlySpan<byte> frame)
    {
        LastGarpAt = _lan.Now;
        Events.Add((_lan.Now, "garp"));
        _lan.Log($"node {Index}: garp");
    }

    public void RunScript(ScriptInvocation script)
    {
        Events.Add((_lan.Now, "script " + script.Kind));
        _lan.Log($"node {Index}: script {script.Kind}");
    }
}
