namespace Ucarp.Core.Election;

/// <summary>
/// The watchers of one election (or of its gate), told of each change in what is shown of
/// it: kept once here for ElectionBase and ElectionGate alike. A loop, not an event: no
/// delegate allocated per change.
/// </summary>
public sealed class StandingWatchers
{
    readonly List<IStandingWatcher> _watchers = [];

    public void Add(IStandingWatcher watcher) => _watchers.Add(watcher);

    public void Remove(IStandingWatcher watcher) => _watchers.Remove(watcher);

    /// <summary>Tells every watcher that <paramref name="election"/> changed.</summary>
    public void Tell(IElection election)
    {
        for (int i = 0; i < _watchers.Count; i++)
        {
            _watchers[i].StandingChanged(election);
        }
    }
}
