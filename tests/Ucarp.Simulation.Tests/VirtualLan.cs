using Ucarp.Core.Carp;

namespace Ucarp.Simulation.Tests;

/// <summary>
/// A LAN of simulated nodes on a virtual clock. Frames are the real bytes the state
/// machines build; delivery has a delay, a loss rate and partitions. Nothing sleeps:
/// a minute of cluster life runs in a few milliseconds, and a seed replays a run exactly.
/// </summary>
sealed class VirtualLan
{
    readonly PriorityQueue<Action, (long Time, long Seq)> _events = new();
    readonly Random _random;
    readonly Dictionary<(int From, int To), long> _lastArrival = [];
    long _seq;

    public VirtualLan(int seed)
    {
        Seed = seed;
        _random = new Random(seed);
    }

    public int Seed { get; }
    public long Now { get; private set; }
    public List<SimNode> Nodes { get; } = [];
    /// <summary>Hosts of many groups (<see cref="SimHost"/>), on the same wire as <see cref="Nodes"/>' frames are not.</summary>
    public List<SimHost> Hosts { get; } = [];
    /// <summary>Runs after every event, for checks that must hold at every instant.</summary>
    public Action? AfterEvent { get; set; }
    public List<string> Trace { get; } = [];

    /// <summary>One-way delivery delay, drawn uniformly from this range (microseconds).</summary>
    public long MinDelay { get; set; } = 100;
    public long MaxDelay { get; set; } = 100;
    /// <summary>Probability that a frame to a given receiver is lost.</summary>
    public double Loss { get; set; }

    public SimNode Add(CarpSettings settings, Ucarp.Core.Vrrp.VrrpSettings? vrrp = null)
    {
        var node = new SimNode(this, Nodes.Count, settings, vrrp);
        Nodes.Add(node);
        return node;
    }

    public void At(long time, Action action) => _events.Enqueue(action, (time, _seq++));

    public void RunUntil(long time)
    {
        while (_events.TryPeek(out _, out var key) && key.Time <= time)
        {
            Action action = _events.Dequeue();
            Now = key.Time;
            action();
            AfterEvent?.Invoke();
        }
        Now = time;
    }

    public void RunFor(long duration) => RunUntil(Now + duration);

    /// <summary>Puts a frame on the wire: every other live node in the sender's partition may get a copy.</summary>
    public void Transmit(SimNode from, byte[] frame, bool isAdvert)
    {
        foreach (SimNode to in Nodes)
        {
            if (to == from || !to.Alive || to.Partition != from.Partition)
            {
                continue;
            }
            int epoch = to.Epoch;
            Deliver((from.Index, to.Index), () =>
            {
                if (to.Alive && to.Epoch == epoch && isAdvert)
                {
                    to.Receive(frame);
                }
            });
        }
    }

    /// <summary>Puts a host's frame on the wire: every other live host in its partition may get a copy.</summary>
    public void Transmit(SimHost from, byte[] frame)
    {
        foreach (SimHost to in Hosts)
        {
            if (to == from || !to.Alive || to.Partition != from.Partition)
            {
                continue;
            }
            int epoch = to.Epoch;
            // Host indexes below zero: their order is kept apart from the nodes'.
            Deliver((~from.Index, ~to.Index), () =>
            {
                if (to.Alive && to.Epoch == epoch)
                {
                    to.Receive(frame);
                }
            });
        }
    }

    /// <summary>One copy over one link: lost at the loss rate, else received after the delay.</summary>
    void Deliver((int From, int To) link, Action receive)
    {
        if (Loss > 0 && _random.NextDouble() < Loss)
        {
            return;
        }
        long delay = MinDelay == MaxDelay ? MinDelay : _random.NextInt64(MinDelay, MaxDelay + 1);
        // One sender's frames reach a receiver in the order sent, as on an Ethernet segment.
        long arrival = Math.Max(Now + delay, _lastArrival.GetValueOrDefault(link));
        _lastArrival[link] = arrival;
        At(arrival, receive);
    }

    public void Log(string line) => Trace.Add($"{Now / 1000,9} ms {line}");

    public IEnumerable<SimNode> Masters => Nodes.Where(n => n.Alive && n.Machine.State == CarpState.Master);

    public string Dump() => $"seed {Seed}\n" + string.Join("\n", Trace.TakeLast(60));
}
