using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Daemon;

/// <summary>
/// The multicast groups joined on each interface, shared by the CARP groups that send to
/// them (the kernel counts IP_ADD_MEMBERSHIP per socket, so one socket per group and
/// interface is enough): joined for the first group, left with the last.
/// </summary>
internal sealed class MulticastMemberships : IDisposable
{
    readonly Dictionary<(int IfIndex, IpAddress Group), (FileDescriptor Fd, int Users)> _joined = [];

    /// <summary>Joins (or counts one more user of) the group; false after logging ucarp's error.</summary>
    public bool Join(int ifIndex, IpAddress group, IpAddress source, string iface, ILog log)
    {
        if (_joined.TryGetValue((ifIndex, group), out var held))
        {
            _joined[(ifIndex, group)] = (held.Fd, held.Users + 1);
            return true;
        }
        FileDescriptor? fd = group.IsV6 ? JoinGroup6(group, ifIndex, iface, log) : JoinGroup(group, source, iface, log);
        if (fd is null)
        {
            return false;
        }
        _joined.Add((ifIndex, group), (fd, 1));
        return true;
    }

    public void Leave(int ifIndex, IpAddress group)
    {
        if (!_joined.TryGetValue((ifIndex, group), out var held))
        {
            return;
        }
        if (held.Users > 1)
        {
            _joined[(ifIndex, group)] = (held.Fd, held.Users - 1);
            return;
        }
        held.Fd.Dispose();
        _joined.Remove((ifIndex, group));
    }

    public void Dispose()
    {
        foreach (var held in _joined.Values)
        {
            held.Fd.Dispose();
        }
        _joined.Clear();
    }

    /// <summary>
    /// IPV6_ADD_MEMBERSHIP on the interface: the NIC then accepts 33:33:00:00:00:12 and
    /// MLD-snooping switches forward the group, as IGMP does for IPv4.
    /// </summary>
    static unsafe FileDescriptor? JoinGroup6(IpAddress group, int ifIndex, string iface, ILog log)
    {
        var request = new Ipv6Mreq { IfIndex = ifIndex };
        group.CopyTo(new Span<byte>(request.MultiAddr, 16));
        return Joined(Libc.AF_INET6, Libc.IPPROTO_IPV6, Libc.IPV6_ADD_MEMBERSHIP, &request, (uint)sizeof(Ipv6Mreq), iface, log, Messages.AddMembership6);
    }

    /// <summary>IP_ADD_MEMBERSHIP on a datagram socket, as ucarp does, so that IGMP-snooping switches forward the group.</summary>
    static unsafe FileDescriptor? JoinGroup(IpAddress group, IpAddress source, string iface, ILog log)
    {
        Span<byte> groupBytes = stackalloc byte[4];
        Span<byte> local = stackalloc byte[4];
        group.CopyTo(groupBytes);
        source.CopyTo(local);
        var request = new IpMreq
        {
            MultiAddr = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(groupBytes),
            Interface = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(local),
        };
        return Joined(Libc.AF_INET, Libc.IPPROTO_IP, Libc.IP_ADD_MEMBERSHIP, &request, (uint)sizeof(IpMreq), iface, log, Messages.AddMembership);
    }

    /// <summary>
    /// A datagram socket of the family that holds the membership <paramref name="request"/>
    /// asks for; null after logging ucarp's line for the step that failed.
    /// </summary>
    /// <param name="refused">The setsockopt's line, from its strerror and errno.</param>
    static unsafe FileDescriptor? Joined(int family, int level, int option, void* request, uint length, string iface, ILog log,
                                         Func<string, int, string> refused)
    {
        if (!InterfaceInfo.TryDatagramSocket(out FileDescriptor? fd, out SysError error, family))
        {
            log.Write(LogLevel.Error, Messages.OpenSocket(iface, error.Text));
            return null;
        }
        if (Libc.SetSockOpt(fd.Fd, level, option, request, length) != 0)
        {
            error = SysError.Last();
            log.Write(LogLevel.Error, refused(error.Text, error.Errno));
            fd.Dispose();
            return null;
        }
        return fd;
    }
}
