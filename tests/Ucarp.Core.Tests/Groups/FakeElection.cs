using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Election;

namespace Ucarp.Core.Tests.Groups;

/// <summary>An election that does what it is told, as CarpMachine would, and records the calls the sync-set rule makes.</summary>
sealed class FakeElection : IElection
{
    public CarpState State { get; set; } = CarpState.Backup;
    public bool Eligible { get; private set; } = true;
    public string? EligibilityReason { get; private set; }
    public bool LinkIsDown { get; set; }
    public int Demotions { get; private set; }
    public List<string> Calls { get; } = [];

    public SkewInUse Skew => new(0);
    public CarpCounters Counters { get; } = new();
    public long? NextDeadline => null;
    public IpAddress? MasterAddress(long now) => null;

    public void SetEligible(bool eligible, string reason, long now)
    {
        Calls.Add((eligible ? "in: " : "out: ") + reason);
        Eligible = eligible;
        EligibilityReason = reason;
        if (!eligible && State == CarpState.Master)
        {
            State = CarpState.Backup; // steps down with a bow-out
        }
    }

    public void Demote(long now)
    {
        Calls.Add("demote");
        if (State == CarpState.Master)
        {
            Demotions++;
            State = CarpState.Backup;
        }
    }

    public void Start(long now) => State = CarpState.Backup;
    public void OnTimer(long now) { }
    public void ReportStatus() { }
    public void SetCheckWeight(byte weight, string why, long now) { }
    public void LinkDown(long now) { LinkIsDown = true; State = CarpState.Backup; }
    public void LinkUp(long now) => LinkIsDown = false;
    public void Shutdown(long now) { }
    public void InterfaceLost(int revents, bool shutdownAtExit, long now) { }
}
