namespace Ucarp.Core.Logging;

// Ucarp.Net's own: the virtual MAC (--vmac), its macvlan child and the sysctls set for it.
public static partial class Messages
{
    public static string VmacBadName(string arg, int most) =>
        F("--vmac-name must be an interface name of 1 to {1} printable characters without '/', ':', '%' or spaces: [{0}]", arg, most);
    public const string VmacWithEtcd = "--vmac cannot be used with --etcd: an etcd group sends no adverts for the virtual MAC to stand for";
    public const string VmacWithPeer =
        "--vmac cannot be used with --peer: unicast adverts come to -i's own MAC, and the group listens on its child";
    public static string VmacNameIsInterface(string iface) => F("--vmac-name [{0}] is -i's own name: the child needs a name of its own", iface);

    // Making, finding and removing the child (rtnetlink).
    public static string VmacCreated(string name, string mac, string parent) => F("Virtual MAC interface {0} ({1}) made on {2}", name, mac, parent);
    public static string VmacHeld(string name, string parent, string holder) =>
        F("Interface {0} is a macvlan of {1} with the group's MAC that {2}: not touched; stop that or give --vmac-name", name, parent, holder);
    public static string VmacHeldByPid(int pid) => F("a running ucarp (pid {0}) made", pid);
    public static string VmacUnmarked(string name, string error) =>
        F("Unable to mark virtual MAC interface {0} as this daemon's ({1}): a later run will not replace it if this one is killed", name, error);
    public const string VmacHeldUnmarked = "another program made (keepalived's use_vmac, or by hand)";
    public static string VmacStaleRemoved(string name) => F("Virtual MAC interface {0} was left by an earlier run: removed, and made again", name);
    public static string VmacNotOurs(string name, string parent, string mac) =>
        F("Interface {0} exists and is not a macvlan of {1} with MAC {2}: not touched; remove it or give --vmac-name", name, parent, mac);
    public static string VmacCreateFailed(string name, string parent, string error) => F("Unable to make virtual MAC interface {0} on {1}: {2}", name, parent, error);
    public const string VmacVanished = "it was gone as soon as made";
    public static string VmacLinkLocalFailed(string name, string address, string error) =>
        F("Unable to give virtual MAC interface {0} the link-local address {1} ({2}): its MLD reports leave from ::", name, address, error);
    public static string VmacUpFailed(string name, string error) => F("Unable to bring virtual MAC interface {0} up: {1}", name, error);
    public static string VmacRemoved(string name) => F("Virtual MAC interface {0} removed", name);
    public static string VmacRemoveFailed(string name, string error) => F("Unable to remove virtual MAC interface {0}: {1}", name, error);
    public static string VmacNotMadeYet(string name) => F("Virtual MAC interface {0} is not made yet: tried again shortly", name);
    public static string VmacInUse(string name, string group) => F("Virtual MAC interface {0} is group {1}'s, on another interface or with another MAC", name, group);
    public static string VmacSysctlFailed(string path, string value, string error) => F("Unable to set {0} to {1}: {2}", path, value, error);
    public static string ConfigDuplicateVmac(string name, string group, int line) =>
        F("virtual MAC interface {0} is already group [{1}]'s, on line {2}: give --vmac-name", name, group, line);
}
