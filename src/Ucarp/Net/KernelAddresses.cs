using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Net;

/// <summary>
/// --manage-addresses' requests to the kernel: addresses added to or removed from an
/// interface looked up by name at each change (it may have been made again since the
/// group started). Slow by nature (each request waits for the kernel's acknowledgement,
/// and the kernel's lock may be held by whatever else reconfigures the host): the daemon
/// makes them on <see cref="AddressChanger"/>'s thread, never on the protocol's.
/// </summary>
internal static class KernelAddresses
{
    /// <summary>
    /// Adds or removes <paramref name="addresses"/> on <paramref name="iface"/>; true when
    /// the kernel changed for any. An address already there, or already gone, is what was
    /// wanted; any other failure adds its log line to <paramref name="errors"/>.
    /// </summary>
    public static bool Change(string iface, IReadOnlyList<IpAddress> addresses, bool add, List<string> errors)
    {
        bool indexed = TryIndex(iface, out int ifIndex, out SysError indexError);
        using var netlink = new NetlinkAddresses();
        bool changed = false;
        foreach (IpAddress address in addresses)
        {
            // Without the index every address fails with the lookup's errno.
            SysError error = indexError;
            if (indexed && (add ? netlink.TryAdd(ifIndex, address, out error) : netlink.TryRemove(ifIndex, address, out error)))
            {
                changed = true;
            }
            else if (error.Errno != (add ? Libc.EEXIST : Libc.EADDRNOTAVAIL))
            {
                errors.Add(add ? Messages.AddressAddFailed(address.ToString(), iface, error.Text)
                               : Messages.AddressRemoveFailed(address.ToString(), iface, error.Text));
            }
        }
        return changed;
    }

    static bool TryIndex(string iface, out int ifIndex, out SysError error)
    {
        ifIndex = 0;
        if (!InterfaceInfo.TryDatagramSocket(out FileDescriptor? control, out error))
        {
            return false;
        }
        using (control)
        {
            return InterfaceInfo.TryIndex(control, iface, out ifIndex, out error);
        }
    }
}
