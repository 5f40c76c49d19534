namespace Ucarp.Core.Carp;

/// <summary>What the machine has done since start: the state file's and metrics' counters.</summary>
public sealed class CarpCounters
{
    /// <summary>Role changes (INIT to BACKUP at start included).</summary>
    public long Transitions { get; internal set; }
    public long AdvertsSent { get; internal set; }
    public long AdvertSendErrors { get; internal set; }
    /// <summary>Adverts that passed every check (the rejected ones are counted by reason).</summary>
    public long AdvertsReceived { get; internal set; }
}
