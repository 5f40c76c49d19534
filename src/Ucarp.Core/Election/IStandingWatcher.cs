namespace Ucarp.Core.Election;

/// <summary>
/// Told that something shown of an election may have changed: its role, whether it is in
/// the election and why, the link, the advskew in use, the master it hears; for a gate
/// also its gates and its stopping. Monitoring and the sync-set rule keep what they show
/// up to date from this, instead of comparing every group after every event.
/// </summary>
/// <remarks>
/// Raised in the middle of an event, on the loop's thread, possibly more than once for
/// one change: a watcher only notes which election to look at, and looks after the event
/// (never calling back into an election from here).
/// </remarks>
public interface IStandingWatcher
{
    void StandingChanged(IElection election);
}
