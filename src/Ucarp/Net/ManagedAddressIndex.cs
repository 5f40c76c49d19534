using Ucarp.Core.Cli;
using Ucarp.Daemon;

namespace Ucarp.Net;

/// <summary>
/// Which running group manages an address, for the address watcher: a backup taking over
/// 4,080 groups hears 4,080 of the kernel's notifications, and a walk through every group
/// for each (reading each one's configuration, a cache miss apiece) was a tenth of its
/// loop's time then. The groups that manage addresses, by the hash of each address and
/// then their order among the running groups, in two arrays (16 bytes an address);
/// made again when the set of running groups changes (its generation), at the watcher's
/// next pass (<see cref="Refresh"/>), so that a group gone is not kept alive by it.
/// </summary>
internal sealed class ManagedAddressIndex(GroupSet groups)
{
    long[] _keys = [];                 // the address's hash, then the group's index in Running
    GroupRuntime[] _groups = [];
    int _generation = -1;

    /// <summary>
    /// The first running group (in their order) that is not stopping, manages its addresses,
    /// sits on interface <paramref name="ifIndex"/> and has <paramref name="address"/>; or null.
    /// </summary>
    public GroupRuntime? Find(IpAddress address, int ifIndex)
    {
        Refresh();
        long hash = address.GetHashCode();
        // The first key of this hash, or where it would be: order 0 is the least.
        int i = Array.BinarySearch(_keys, hash << 32);
        for (i = i < 0 ? ~i : i; i < _keys.Length && _keys[i] >> 32 == hash; i++)
        {
            GroupRuntime g = _groups[i];
            if (!g.Stopping && g.Interface.Index == ifIndex && g.Config.HasAddress(address))
            {
                return g;
            }
        }
        return null;
    }

    /// <summary>Made again if the set of running groups changed since.</summary>
    public void Refresh()
    {
        if (groups.Generation != _generation)
        {
            Build();
        }
    }

    void Build()
    {
        _generation = groups.Generation;
        List<GroupRuntime> running = groups.Running;
        int count = 0;
        foreach (GroupRuntime g in running)
        {
            if (g.Config.ManageAddresses)
            {
                count += 1 + g.Config.ExtraAddresses.Count;
            }
        }
        // Every entry is written below: arrays of the same length are reused as they are.
        if (_keys.Length != count)
        {
            _keys = new long[count];
            _groups = new GroupRuntime[count];
        }
        int n = 0;
        for (int r = 0; r < running.Count; r++)
        {
            GroupRuntime g = running[r];
            if (g.Config.ManageAddresses)
            {
                Add(ref n, g.Config.VirtualAddress, g, r);
                foreach (IpAddress address in g.Config.ExtraAddresses)
                {
                    Add(ref n, address, g, r);
                }
            }
        }
        Array.Sort(_keys, _groups);
    }

    void Add(ref int n, IpAddress address, GroupRuntime g, int order)
    {
        _keys[n] = ((long)address.GetHashCode() << 32) | (uint)order;
        _groups[n++] = g;
    }
}
