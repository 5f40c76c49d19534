namespace Ucarp.Core.Follow;

/// <summary>
/// The one rule "after the scripts, at the latest by a deadline": items that go once the
/// scripts asked for before them have finished, so an address is released before anyone
/// else is told to take it, but never later than their deadline, so a hanging downscript
/// cannot hold up a handover. A group's <see cref="RoleFollower"/> keeps one for its own
/// scripts; an etcd session keeps one over all its groups' followers for the lease's
/// revoke. Pure: the caller says whether the scripts are done and what time it is.
/// </summary>
public sealed class AfterScripts<T>
{
    readonly List<(T Item, long Deadline)> _items = [];

    public int Count => _items.Count;

    /// <summary>When the first item goes at the latest; null when none waits.</summary>
    public long? Deadline
    {
        get
        {
            long? earliest = null;
            foreach ((_, long deadline) in _items)
            {
                earliest = earliest is long e && e <= deadline ? e : deadline;
            }
            return earliest;
        }
    }

    public void Add(in T item, long deadline) => _items.Add((item, deadline));

    public bool Any(Predicate<T> match) => _items.Exists(i => match(i.Item));

    /// <summary>Drops the waiting items that <paramref name="match"/> names.</summary>
    public void RemoveWhere(Predicate<T> match) => _items.RemoveAll(i => match(i.Item));

    /// <summary>
    /// The next item, in the order they were added, that may go now: any once the scripts
    /// are done, else one whose deadline has come. False when none may.
    /// </summary>
    public bool TryTake(bool scriptsDone, long now, out T item)
    {
        for (int i = 0; i < _items.Count; i++)
        {
            if (scriptsDone || now >= _items[i].Deadline)
            {
                item = _items[i].Item;
                _items.RemoveAt(i);
                return true;
            }
        }
        item = default!;
        return false;
    }
}
