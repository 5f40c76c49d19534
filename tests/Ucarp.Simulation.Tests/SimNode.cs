using Ucarp.Core;
using Ucarp.Core.Carp;
using Ucarp.Core.Follow;
using Ucarp.Core.Election;
using Ucarp.Core.Logging;
using Ucarp.Core.Vrrp;
using Ucarp.Core.Wire;

namespace Ucarp.Simulation.Tests;

/// <summary>
/// One host on the virtual LAN: a real <see cref="CarpMachine"/> (or, given
/// <see cref="VrrpSettings"/>, a real <see cref="VrrpMachine"/>), its real follower (scripts
/// that take <see cref="ScriptDuration"/> each, the announcements and the bow-out after
/// them, as the daemon orders them) and the effects it emitted.
/// </summary>
sealed class SimNode : ICarpHost
{
    readonly VirtualLan _lan;
    readonly CarpSettings _settings;
    readonly VrrpSettings? _vrrp;
    IFrameInput _frames;

    public CarpSettings Settings => _settings;
    long _timerToken;

    public SimNode(VirtualLan lan, int index, CarpSettings settings, VrrpSettings? vrrp = null)
    {
        _lan = lan;
        Index = index;
        _settings = settings;
        _vrrp = vrrp;
        (Machine, _frames) = Make(lan.Seed * 31 + index);
    }

    /// <summary>A new incarnation's election: CARP, or VRRP when the node has VRRP settings.</summary>
    (ElectionBase, IFrameInput) Make(int seed)
    {
        if (_vrrp is not null)
        {
            var vrrp = new VrrpMachine(_settings, _vrrp, this, new SeededCarpRandom(seed));
            return (vrrp, vrrp);
        }
        var carp = new CarpMachine(_settings, this, new SeededCarpRandom(seed));
        return (carp, carp);
    }

    public int Index { get; }
    public VrrpSettings? Vrrp => _vrrp;
    public ElectionBase Machine { get; private set; }
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
        _stopping = false;
        Epoch++;
        (Machine, _frames) = Make(_lan.Seed * 31 + Index + Epoch * 1000);
        Machine.Start(_lan.Now);
        Reschedule();
    }

    public void Kill()
    {
        Alive = false;
        _lan.Log($"node {Index} killed");
    }

    /// <summary>When each advert reached this node.</summary>
    public List<long> Arrivals { get; } = [];

    public void Receive(byte[] frame)
    {
        Arrivals.Add(_lan.Now);
        _frames.OnFrame(frame, _lan.Now);
        Reschedule();
    }

    public void Demote()
    {
        Machine.Demote(_lan.Now);
        Reschedule();
    }

    /// <summary>A -z termination signal: the machine's shutdown, then the node is gone once its scripts and bow-out are done.</summary>
    public void Stop()
    {
        Machine.Shutdown(_lan.Now);
        _stopping = true;
        Reschedule();
    }

    /// <summary>A health check's verdict.</summary>
    public void SetEligible(bool eligible)
    {
        Machine.SetEligible(eligible, eligible ? "check passed" : "check failed", _lan.Now);
        Reschedule();
    }

    /// <summary>--check-weight: a failing check's weight on the advskew (0: lifted).</summary>
    public void SetCheckWeight(byte weight)
    {
        Machine.SetCheckWeight(weight, weight == 0 ? "check passing" : "check failing", _lan.Now);
        Reschedule();
    }

    /// <summary>The advskew byte of the last advert this node put on the wire.</summary>
    public byte? LastAdvertSkew { get; private set; }

    /// <summary>How long each script runs; the follower runs them one after another, as the daemon's does.</summary>
    public long ScriptDuration { get; set; }
    bool _stopping;
    public List<long> BowOutsSent { get; } = [];

    /// <summary>The loop's tail: a stopping node is gone once its follower is done; else the next timer.</summary>
    void Reschedule()
    {
        if (_stopping && Machine.Follower.Done)
        {
            _stopping = false;
            Kill();
            return;
        }
        long? due = Deadlines.Min(Machine.NextDeadline, Machine.Follower.NextDeadline);
        if (due is not long at)
        {
            return;
        }
        long token = ++_timerToken;
        int epoch = Epoch;
        _lan.At(at, () =>
        {
            if (Alive && Epoch == epoch && token == _timerToken)
            {
                long now = _lan.Now;
                if (Machine.NextDeadline <= now)
                {
                    Machine.OnTimer(now);
                }
                if (Machine.Follower.NextDeadline <= now)
                {
                    Machine.Follower.OnTimer(now);
                }
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
        LastAdvertSkew = frame[CarpHeader.EthernetSize + CarpHeader.IpSize(_settings.Source.IsV6) + CarpHeader.AdvSkew];
        _lan.Transmit(this, frame.ToArray(), isAdvert: true);
        return null;
    }

    public void SendAnnouncement(ReadOnlySpan<byte> frame)
    {
        LastGarpAt = _lan.Now;
        Events.Add((_lan.Now, "garp"));
        _lan.Log($"node {Index}: garp");
    }

    /// <summary>The bow-out, once the follower lets it go (after the downscript, by its deadline at the latest).</summary>
    public void SendAfterScripts(in Deferred effect)
    {
        BowOutsSent.Add(_lan.Now);
        Events.Add((_lan.Now, "bowout"));
        _lan.Transmit(this, effect.Frame!, isAdvert: true);
    }

    /// <summary>A script runs for <see cref="ScriptDuration"/>; its end goes back to the follower, as the daemon's reaper does.</summary>
    public bool StartScript(ScriptInvocation script)
    {
        Events.Add((_lan.Now, "script " + script.Kind));
        _lan.Log($"node {Index}: script {script.Kind}");
        RoleFollower follower = Machine.Follower;
        int epoch = Epoch;
        _lan.At(_lan.Now + ScriptDuration, () =>
        {
            if (Alive && Epoch == epoch)
            {
                _lan.Log($"node {Index}: script {script.Kind} ended");
                follower.ScriptEnded();
                Reschedule();
            }
        });
        return true;
    }
}
