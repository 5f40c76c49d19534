using Ucarp.Core.Logging;

namespace Ucarp.Core.Cli;

/// <summary>
/// --vmac: the group's addresses live on a macvlan child of -i whose MAC is the virtual
/// router's (RFC 5798 §7.3: 00:00:5e:00:01:ID for IPv4, 00:00:5e:00:02:ID for IPv6), and
/// its adverts and announcements leave from that MAC, as keepalived's use_vmac and
/// BSD's carp do: a move changes no neighbour's ARP or neighbour cache.
/// --vmac-name=NAME names the child (implies --vmac); by default vrrp.ID, or vrrp6.ID for
/// an IPv6 group (so an IPv4 and an IPv6 group of the same id can share an interface).
/// </summary>
public static class VmacOptions
{
    /// <summary>IFNAMSIZ less its NUL: the longest name the kernel takes.</summary>
    public const int MaxNameLength = 15;

    public static bool TryApply(char option, string arg, Configuration config, ILog log)
    {
        if (option == OptionTable.VmacName)
        {
            if (!IsValidName(arg))
            {
                log.Write(LogLevel.Error, Messages.VmacBadName(arg, MaxNameLength));
                return false;
            }
            config.VmacName = arg;
        }
        config.Vmac = true;
        return true;
    }

    /// <summary>After the other checks: 0, or the exit status.</summary>
    public static int Validate(Configuration config, ILog log)
    {
        if (!config.Vmac)
        {
            return 0;
        }
        if (config.EtcdEndpoints.Count != 0)
        {
            log.Write(LogLevel.Error, Messages.VmacWithEtcd);
            return 1;
        }
        if (config.Peers.Count != 0)
        {
            log.Write(LogLevel.Error, Messages.VmacWithPeer);
            return 1;
        }
        if (config.VmacInterface == config.Interface)
        {
            log.Write(LogLevel.Error, Messages.VmacNameIsInterface(config.Interface!));
            return 1;
        }
        return 0;
    }

    /// <summary>The child's name when none is given: keepalived's vrrp.ID, and vrrp6.ID for IPv6.</summary>
    public static string DefaultName(byte id, bool v6) => (v6 ? "vrrp6." : "vrrp.") + id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The virtual router MAC (RFC 5798 §7.3; RFC 3768 §7.3 for IPv4), which BSD's carp uses too.</summary>
    public static byte[] Mac(byte id, bool v6) => [0x00, 0x00, 0x5e, 0x00, v6 ? (byte)0x02 : (byte)0x01, id];

    /// <summary>
    /// The link-local address an IPv6 group's child is given (it has none of its own: every
    /// host's would be the same), as keepalived's set_link_local_address does: -s when it
    /// is link-local, else the parent's EUI-64 one, made from its MAC. Without one the
    /// child's MLD reports for ff02::12 would leave from ::, which snooping switches may
    /// not count, and the adverts would stop reaching it.
    /// </summary>
    public static IpAddress LinkLocal(IpAddress source, ReadOnlySpan<byte> parentMac)
    {
        if (source.IsV6 && source[0] == 0xfe && (source[1] & 0xc0) == 0x80)
        {
            return source;
        }
        Span<byte> address = stackalloc byte[16];
        address[0] = 0xfe;
        address[1] = 0x80;
        address[8] = (byte)(parentMac[0] ^ 0x02);
        address[9] = parentMac[1];
        address[10] = parentMac[2];
        address[11] = 0xff;
        address[12] = 0xfe;
        address[13] = parentMac[3];
        address[14] = parentMac[4];
        address[15] = parentMac[5];
        return new IpAddress(address);
    }

    /// <summary>
    /// What the kernel's dev_valid_name takes (1-15 bytes, not "." or "..", no '/', ':' or
    /// white space), and printable ASCII only, so the name is safe in a log line and a path;
    /// no '%' either: the kernel takes a name with %d as a template ("gw%d" makes gw0), and
    /// the child made would not be the one looked up afterwards.
    /// </summary>
    public static bool IsValidName(string name)
    {
        if (name.Length is 0 or > MaxNameLength || name is "." or "..")
        {
            return false;
        }
        foreach (char c in name)
        {
            if (c is <= ' ' or > '~' or '/' or ':' or '%')
            {
                return false;
            }
        }
        return true;
    }
}
