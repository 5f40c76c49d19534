using Ucarp.Core.Carp;
using Ucarp.Core.Election;
using Ucarp.Core.Etcd;
using Ucarp.Core.Logging;

namespace Ucarp.Simulation.Tests.Etcd;

/// <summary>
/// Nodes running the real <see cref="EtcdElection"/> (or <see cref="FollowElection"/>) against an <see cref="InMemoryEtcd"/>
/// on one virtual clock. Messages between a node and etcd take a random delay; a node
/// cut off from etcd loses what it sends and what is sent to it, and its requests fail
/// after the client's timeout, as the daemon's do. Scripts take time, one at a time.
/// Each node records when it held the address: from becoming MASTER (the upscript may
/// add it at once) until its downscript has finished.
/// </summary>
sealed class EtcdSim
{
    public const long S = 1_000_000;
    readonly PriorityQueue<Action, (long, long)> _events = new();
    long _seq;
    readonly Random _random;

    public EtcdSim(int seed)
    {
        _random = new Random(seed);
        Seed = seed;
    }

    public int Seed { get; }
    public long Now { get; private set; }
    public InMemoryEtcd Etcd { get; } = new();
    public List<EtcdSimNode> Nodes { get; } = [];
    public long MinDelay { get; set; } = 500;
    public long MaxDelay { get; set; } = 2_000;
    /// <summary>When an unanswered request fails: the daemon's per-attempt timeout; x3 for three members that drop packets.</summary>
    public long RequestTimeout { get; set; } = 700_000;
    public List<string> Trace { get; } = [];
    /// <summary>Runs after every event, for checks that must hold at every instant.</summary>
    public Action? AfterEvent { get; set; }

    /// <param name="make">A node of one group running this election (follow mode) instead of the lease election.</param>
    /// <param name="sets">Group i's sync set (null: none), for as many groups as given.</param>
    public EtcdSimNode Add(CarpSettings settings, long scriptDuration = 10_000, int groups = 1, Func<CarpSettings, IEtcdHost, ElectionBase>? make = null,
                           string?[]? sets = null)
    {
        var node = new EtcdSimNode(this, Nodes.Count, settings, scriptDuration, groups, make, sets);
        Nodes.Add(node);
        return node;
    }

    public long Delay() => MinDelay + (long)(_random.NextDouble() * (MaxDelay - MinDelay));

    public bool Coin() => _random.Next(2) == 0;

    /// <summary>While set and later than now, etcd has no leader (see <see cref="EtcdSimNode.Send"/>).</summary>
    public long? LeaderElectionUntil { get; set; }

    public void At(long time, Action action) => _events.Enqueue(action, (Math.Max(time, Now), _seq++));

    public void RunFor(long duration) => RunUntil(Now + duration);

    public void RunUntil(long time)
    {
        while (true)
        {
            long? expiry = Etcd.NextExpiry;
            long next = _events.TryPeek(out _, out var at) ? at.Item1 : long.MaxValue;
            long soonest = Math.Min(next, expiry ?? long.MaxValue);
            if (soonest > time)
            {
                Now = time;
                return;
            }
            Now = soonest;
            if (expiry is long e && e <= next)
            {
                Etcd.Expire(e);
                continue;
            }
            _events.Dequeue()();
            AfterEvent?.Invoke();
        }
    }

    public IEnumerable<EtcdSimNode> Masters => Nodes.Where(n => n.Alive && n.Machine.State == CarpState.Master);

    public void Log(string line) => Trace.Add($"{Now / 1000.0,10:F1} ms {line}");

    public string Dump() => $"seed {Seed}\n" + string.Join("\n", Trace.TakeLast(80)) + "\nkeys: " + string.Join("; ", Etcd.Keys.Select(k => $"{k.Key}={k.Value.Value} lease {k.Value.Lease:x}"))
        + "\nnodes: " + string.Join("; ", Nodes.Select(n => $"{n.Index} alive {n.Alive} lease {n.Session.Lease:x} state {n.Groups[0].Machine?.State}"));
}
