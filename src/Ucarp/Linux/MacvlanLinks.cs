using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Core.Vmac;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// --vmac's child through rtnetlink: made as keepalived's vrrp_vmac.c makes it (a macvlan
/// in private mode on the parent, with the virtual router MAC, no IPv6 link-local address
/// of its own, then up; an IPv6 group's is given the parent's), and removed. A child of
/// the same name, kind, parent and MAC is one an earlier run left (killed with SIGKILL):
/// it is removed and made again, so none of its addresses stays; any other interface of
/// that name is never touched.
/// </summary>
internal static class MacvlanLinks
{
    /// <summary>
    /// Makes the child and brings it up, with <paramref name="linkLocal"/> for an IPv6
    /// group. Its index, or 0 and <paramref name="failure"/> (the catalogue's line);
    /// <paramref name="notes"/> gets what is worth a line either way.
    /// </summary>
    public static int TryMake(string name, int parent, string parentName, byte[] mac, IpAddress? linkLocal, List<string> notes, out string? failure)
    {
        using var netlink = new NetlinkRoute();
        if (!TryFind(netlink, name, out LinkFacts? old, out SysError error))
        {
            failure = Messages.VmacCreateFailed(name, parentName, error.Text);
            return 0;
        }
        if (old is LinkFacts found)
        {
            if (!found.IsMacvlan(parent, mac))
            {
                failure = Messages.VmacNotOurs(name, parentName, Mac(mac));
                return 0;
            }
            // keepalived's use_vmac makes the very same child: only one a dead ucarp left goes.
            if (Holder(found.Alias) is string holder)
            {
                failure = Messages.VmacHeld(name, parentName, holder);
                return 0;
            }
            if (!netlink.TryAsk(LinkRequest.Delete(netlink.NextSeq(), found.Index), out error, out _) && error.Errno != Libc.ENODEV)
            {
                failure = Messages.VmacCreateFailed(name, parentName, error.Text);
                return 0;
            }
            notes.Add(Messages.VmacStaleRemoved(name));
        }
        if (!netlink.TryAsk(LinkRequest.NewMacvlan(netlink.NextSeq(), name, parent, mac), out error, out _))
        {
            failure = Messages.VmacCreateFailed(name, parentName, error.Text);
            return 0;
        }
        if (!TryFind(netlink, name, out LinkFacts? made, out error) || made is not LinkFacts child)
        {
            // Made but not found (a lookup that timed out): removed by name, not left behind.
            netlink.TryAsk(LinkRequest.DeleteNamed(netlink.NextSeq(), name), out _, out _);
            failure = Messages.VmacCreateFailed(name, parentName, error.Errno == 0 ? Messages.VmacVanished : error.Text);
            return 0;
        }
        // Without IPv6 in the kernel there is no link-local address to refuse: nothing to say.
        netlink.TryAsk(LinkRequest.NoLinkLocal(netlink.NextSeq(), child.Index), out _, out _);
        // Unmarked, a child this run leaves (SIGKILL) is one the next run will not replace.
        if (!netlink.TryAsk(LinkRequest.Alias(netlink.NextSeq(), child.Index, VmacMark.Of(Environment.ProcessId)), out error, out _))
        {
            notes.Add(Messages.VmacUnmarked(name, error.Text));
        }
        // keepalived's (vrrp_if_config.c): the child answers ARP only for its own addresses
        // (arp_ignore), hears its peers' adverts though they come from an address of this
        // host's (accept_local), and takes frames whatever the route back (rp_filter).
        foreach ((string setting, string value) in (ReadOnlySpan<(string, string)>)[("arp_ignore", "1"), ("accept_local", "1"), ("rp_filter", "0")])
        {
            if (InterfaceSysctl.TryWrite(name, setting, value) is string why)
            {
                notes.Add(Messages.VmacSysctlFailed(InterfaceSysctl.PathOf(name, setting), value, why));
            }
        }
        if (!netlink.TryAsk(LinkRequest.Up(netlink.NextSeq(), child.Index), out error, out _))
        {
            failure = Messages.VmacUpFailed(name, error.Text);
            netlink.TryAsk(LinkRequest.Delete(netlink.NextSeq(), child.Index), out _, out _);
            return 0;
        }
        // /64 as keepalived gives it; no duplicate address detection: the address is this host's already, on the parent.
        using (var addresses = new NetlinkAddresses())
        {
            if (linkLocal is IpAddress own && !addresses.TryAdd(child.Index, own, out error, prefixLength: 64) && error.Errno != Libc.EEXIST)
            {
                notes.Add(Messages.VmacLinkLocalFailed(name, own.ToString(), error.Text));
            }
        }
        failure = null;
        return child.Index;
    }

    /// <summary>
    /// Removes the child if it is still the one made (<paramref name="index"/>, a macvlan of
    /// <paramref name="parent"/> with <paramref name="mac"/>): gone already (with its parent,
    /// or by hand) is what was wanted, and one made since in its place is not touched.
    /// Null, or the catalogue's line.
    /// </summary>
    public static string? TryRemove(string name, int index, int parent, byte[] mac)
    {
        using var netlink = new NetlinkRoute();
        if (!TryFind(netlink, name, out LinkFacts? found, out SysError error))
        {
            return Messages.VmacRemoveFailed(name, error.Text);
        }
        if (found is not LinkFacts child || child.Index != index || !child.IsMacvlan(parent, mac))
        {
            return null;
        }
        if (!netlink.TryAsk(LinkRequest.Delete(netlink.NextSeq(), child.Index), out error, out _) && error.Errno != Libc.ENODEV)
        {
            return Messages.VmacRemoveFailed(name, error.Text);
        }
        return null;
    }

    /// <summary>The interface called <paramref name="name"/> (its index and MAC), or null with why not (the kernel's words).</summary>
    public static LinkFacts? Find(string name, out string? error)
    {
        using var netlink = new NetlinkRoute();
        if (!TryFind(netlink, name, out LinkFacts? found, out SysError failed))
        {
            error = failed.Text;
            return null;
        }
        error = found is null ? Libc.StrError(Libc.ENODEV) : null;
        return found;
    }

    /// <summary>The link of that name, or null when there is none; false when the kernel could not be asked.</summary>
    static bool TryFind(NetlinkRoute netlink, string name, out LinkFacts? facts, out SysError error)
    {
        facts = null;
        if (!netlink.TryAsk(LinkRequest.Get(netlink.NextSeq(), name), out error, out byte[]? answer))
        {
            if (error.Errno == Libc.ENODEV)
            {
                error = SysError.None;
                return true;
            }
            return false;
        }
        if (answer is not null && LinkReply.TryRead(answer, out LinkFacts read))
        {
            facts = read;
        }
        return true;
    }

    /// <summary>
    /// Who holds a child of our name, parent and MAC found at start, from its alias: null
    /// when a ucarp made it that is gone (or this very daemon, whose removal of it has not
    /// come yet); else the line's words for who made it.
    /// </summary>
    static string? Holder(string? alias)
    {
        if (!VmacMark.TryRead(alias, out int pid))
        {
            return Messages.VmacHeldUnmarked;
        }
        if (pid == Environment.ProcessId)
        {
            return null;
        }
        try
        {
            // Alive, and a ucarp (a pid taken since by another program is not its maker).
            string comm = File.ReadAllText("/proc/" + pid.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/comm").Trim();
            return comm == File.ReadAllText("/proc/self/comm").Trim() ? Messages.VmacHeldByPid(pid) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether <paramref name="parent"/> has a child with a virtual router MAC other than
    /// <paramref name="except"/>: this daemon's, or another process's (one ucarp per address,
    /// keepalived's use_vmac). Read from sysfs (the parent's upper_* links and each one's
    /// address); null when sysfs does not show this namespace's interfaces.
    /// </summary>
    public static bool? HasVirtualMacChild(string parent, string? except)
    {
        string dir = "/sys/class/net/" + parent;
        try
        {
            if (!Directory.Exists(dir))
            {
                return null;
            }
            foreach (string entry in Directory.EnumerateFileSystemEntries(dir, "upper_*"))
            {
                string child = Path.GetFileName(entry)["upper_".Length..];
                if (child == except || !Core.Cli.VmacOptions.IsValidName(child))
                {
                    continue;
                }
                string address = File.ReadAllText("/sys/class/net/" + child + "/address").Trim();
                if (address.StartsWith("00:00:5e:00:01:", StringComparison.Ordinal) || address.StartsWith("00:00:5e:00:02:", StringComparison.Ordinal))
                {
                    return true;
                }
            }
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static string Mac(ReadOnlySpan<byte> mac) => string.Join(':', Array.ConvertAll(mac.ToArray(), b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
}
