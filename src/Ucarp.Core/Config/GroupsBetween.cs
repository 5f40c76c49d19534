using Ucarp.Core.Cli;
using Ucarp.Core.Groups;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Config;

/// <summary>
/// The checks between a file's groups: one address, one group; one vhid per interface and
/// destination for CARP and VRRP; one group per --vmac child.
/// </summary>
internal sealed class GroupsBetween
{
    readonly Dictionary<IpAddress, GroupOptions> _byAddress = [];
    readonly Dictionary<string, GroupTable<GroupOptions>> _tables = new(StringComparer.Ordinal);
    readonly Dictionary<string, GroupOptions> _vmacs = new(StringComparer.Ordinal);

    /// <summary>False (the problem added) when the group clashes with one registered before.</summary>
    public bool TryRegister(GroupOptions group, ConfigProblems problems)
    {
        Configuration c = group.Settings;
        // -a and every --extra-addr are the group's addresses: none may be another group's.
        foreach (IpAddress address in c.Addresses())
        {
            if (_byAddress.TryGetValue(address, out GroupOptions? holder))
            {
                problems.Add(ConfigDiagnostic.Error(group.Line, Messages.ConfigDuplicateAddress(address.ToString(), holder.Name, holder.Line)));
                return false;
            }
        }
        GroupTable<GroupOptions>? table = null;
        if (!group.IsEtcd)
        {
            if (!_tables.TryGetValue(c.Interface!, out table))
            {
                _tables.Add(c.Interface!, table = new GroupTable<GroupOptions>());
            }
            if (table.TryFind(group.AdvertDestination, c.Vhid, out GroupOptions? other))
            {
                problems.Add(ConfigDiagnostic.Error(group.Line, Messages.ConfigDuplicateVhid(
                    c.Vhid, c.Interface!, group.AdvertDestination.ToString(), other!.Name, other.Line)));
                return false;
            }
        }
        // Two groups on one child would remove it under each other (vrrp.ID is per id, not per interface).
        if (c.VmacInterface is string vmac && _vmacs.TryGetValue(vmac, out GroupOptions? owner))
        {
            problems.Add(ConfigDiagnostic.Error(group.Line, Messages.ConfigDuplicateVmac(vmac, owner.Name, owner.Line)));
            return false;
        }
        table?.Add(group.AdvertDestination, c.Vhid, group);
        if (c.VmacInterface is string name)
        {
            _vmacs.Add(name, group);
        }
        foreach (IpAddress address in c.Addresses())
        {
            _byAddress.Add(address, group);
        }
        return true;
    }
}
