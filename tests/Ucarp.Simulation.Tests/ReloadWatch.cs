namespace Ucarp.Simulation.Tests;

/// <summary>
/// Watches the hosts of a LAN after every event, for what reloads must not do. On one host,
/// never two groups touching one address at once (a new owner's scripts while the old
/// owner's downscript still runs: the address could end up removed under its master), and
/// the sync-set rule standing over the running groups.
/// On the LAN: two hosts holding one address at once, and two masters of one vhid, kept
/// as the longest stretch not excused by the LAN itself (loss, or the masters on two
/// sides of a partition: then no advert can settle it).
/// </summary>
sealed class ReloadWatch
{
    readonly VirtualLan _lan;
    readonly Dictionary<byte, long> _twoMastersSince = [];
    readonly List<SimGroup> _groups = [];
    readonly List<SimGroup> _masters = [];
    readonly HashSet<byte> _unexcused = [];

    public ReloadWatch(VirtualLan lan)
    {
        _lan = lan;
        lan.AfterEvent += Check;
    }

    /// <summary>The first time two groups of one host touched one address at once, or null.</summary>
    public string? Overlap { get; private set; }
    /// <summary>The first time two hosts held one address at once, or null.</summary>
    public string? TwoHolders { get; private set; }
    /// <summary>The first time a host broke the sync-set rule (<see cref="SyncRule"/>), or null.</summary>
    public string? SetRule { get; private set; }
    /// <summary>The first time a vhid had two masters at once, excused or not, or null.</summary>
    public string? TwoMasters { get; private set; }
    /// <summary>The longest stretch with two masters of one vhid that the LAN did not excuse, and where it ended.</summary>
    public long LongestTwoMasters { get; private set; }
    public string LongestAt { get; private set; } = "";

    // Loops, not LINQ: this runs after every event of every seed.
    void Check()
    {
        _groups.Clear();
        _masters.Clear();
        foreach (SimHost host in _lan.Hosts)
        {
            if (!host.Alive)
            {
                continue;
            }
            _groups.AddRange(host.Groups);
            _groups.AddRange(host.Leaving);
            if (SetRule is null && SyncRule.Broken(host.Groups, g => g.Set, g => g.Gate, g => g.Name) is string broken)
            {
                SetRule = $"{_lan.Now}: host {host.Number} {broken}";
            }
        }
        for (int i = 0; i < _groups.Count; i++)
        {
            SimGroup a = _groups[i];
            if (a.IsMaster)
            {
                _masters.Add(a);
            }
            if (!a.Touching)
            {
                continue;
            }
            for (int j = i + 1; j < _groups.Count; j++)
            {
                SimGroup b = _groups[j];
                if (!a.SharesAddress(b))
                {
                    continue;
                }
                if (a.Host == b.Host && a.Touching && b.Touching)
                {
                    Overlap ??= $"{_lan.Now}: host {a.Host.Number} [{a.Name}] and [{b.Name}] touch one address";
                }
                if (a.Host != b.Host && a.Holding && b.Holding)
                {
                    TwoHolders ??= $"{_lan.Now}: host {a.Host.Number} [{a.Name}] and host {b.Host.Number} [{b.Name}] hold one address";
                }
            }
        }
        CheckMasters();
    }

    void CheckMasters()
    {
        _unexcused.Clear();
        for (int i = 0; i < _masters.Count; i++)
        {
            for (int j = i + 1; j < _masters.Count; j++)
            {
                SimGroup a = _masters[i], b = _masters[j];
                if (a.Settings.Vhid != b.Settings.Vhid)
                {
                    continue;
                }
                TwoMasters ??= $"{_lan.Now}: vhid {a.Settings.Vhid} MASTER on hosts {a.Host.Number} and {b.Host.Number}";
                // Across a partition or through loss no advert can settle it: the LAN's doing, not the protocol's.
                if (_lan.Loss == 0 && a.Host.Partition == b.Host.Partition)
                {
                    _unexcused.Add(a.Settings.Vhid);
                }
            }
        }
        foreach (byte vhid in _twoMastersSince.Keys)
        {
            if (!_unexcused.Contains(vhid))
            {
                _twoMastersSince.Remove(vhid);
            }
        }
        foreach (byte vhid in _unexcused)
        {
            long since = _twoMastersSince.TryGetValue(vhid, out long s) ? s : _twoMastersSince[vhid] = _lan.Now;
            if (_lan.Now - since > LongestTwoMasters)
            {
                LongestTwoMasters = _lan.Now - since;
                LongestAt = $"vhid {vhid} from {since} to {_lan.Now}";
            }
        }
    }
}
