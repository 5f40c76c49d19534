using Ucarp.Core.Cli;

namespace Ucarp.Core.Groups;

/// <summary>
/// The CARP groups of one interface, found by the address an advert is sent to (a
/// multicast group, or our own address for unicast peers; the address carries the
/// family) and its vhid. Two groups can never share both: an advert would not know its
/// group. An advert for no group is "unknown"; counting it is the caller's business.
/// </summary>
public sealed class GroupTable<TGroup> where TGroup : class
{
    readonly Dictionary<(IpAddress Destination, byte Vhid), TGroup> _groups = [];

    public int Count => _groups.Count;

    /// <returns>null when added; else the group that already holds this destination and vhid (nothing is added).</returns>
    public TGroup? Add(IpAddress destination, byte vhid, TGroup group)
    {
        if (_groups.TryGetValue((destination, vhid), out TGroup? holder))
        {
            return holder;
        }
        _groups.Add((destination, vhid), group);
        return null;
    }

    public bool Remove(IpAddress destination, byte vhid) => _groups.Remove((destination, vhid));

    /// <returns>false for an unknown vhid (or destination).</returns>
    public bool TryFind(IpAddress destination, byte vhid, out TGroup? group) =>
        _groups.TryGetValue((destination, vhid), out group);
}
