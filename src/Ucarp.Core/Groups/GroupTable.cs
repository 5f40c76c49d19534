using Ucarp.Core.Cli;

namespace Ucarp.Core.Groups;

/// <summary>
/// The CARP groups of one interface, found by the address an advert is sent to (a
/// multicast group, or our own address for unicast peers; the address carries the
/// family) and its vhid. Two groups can never share both: an advert would not know its
/// group. An advert for no group is "unknown"; counting it is the caller's business.
/// </summary>
/// <remarks>
/// A table of 256 per destination, and the destinations in a list: an interface's groups
/// share one or two (the family's multicast group, a unicast address), and every received
/// advert is looked up here. A dictionary keyed by destination and vhid hashed both for
/// each, and was a twentieth of a 4,080-group backup's CPU.
/// </remarks>
public sealed class GroupTable<TGroup> where TGroup : class
{
    readonly List<(IpAddress Destination, TGroup?[] ByVhid)> _destinations = [];

    public int Count { get; private set; }

    /// <returns>null when added; else the group that already holds this destination and vhid (nothing is added).</returns>
    public TGroup? Add(IpAddress destination, byte vhid, TGroup group)
    {
        TGroup?[]? byVhid = Find(destination);
        if (byVhid is null)
        {
            byVhid = new TGroup?[256];
            _destinations.Add((destination, byVhid));
        }
        if (byVhid[vhid] is TGroup holder)
        {
            return holder;
        }
        byVhid[vhid] = group;
        Count++;
        return null;
    }

    public bool Remove(IpAddress destination, byte vhid)
    {
        int i = IndexOf(destination);
        if (i < 0 || _destinations[i].ByVhid[vhid] is null)
        {
            return false;
        }
        TGroup?[] byVhid = _destinations[i].ByVhid;
        byVhid[vhid] = null;
        Count--;
        // A destination none of whose vhids is left goes with its table.
        if (Array.TrueForAll(byVhid, g => g is null))
        {
            _destinations.RemoveAt(i);
        }
        return true;
    }

    /// <returns>false for an unknown vhid (or destination).</returns>
    public bool TryFind(IpAddress destination, byte vhid, out TGroup? group)
    {
        group = Find(destination)?[vhid];
        return group is not null;
    }

    TGroup?[]? Find(IpAddress destination) => IndexOf(destination) is int i and >= 0 ? _destinations[i].ByVhid : null;

    /// <summary>Where the destination's table is in the list (each destination has one), or -1.</summary>
    int IndexOf(IpAddress destination)
    {
        // A for loop over the list's items: its struct enumerator would also allocate
        // nothing, but this is the path of every frame.
        for (int i = 0; i < _destinations.Count; i++)
        {
            if (_destinations[i].Destination.Equals(destination))
            {
                return i;
            }
        }
        return -1;
    }
}
