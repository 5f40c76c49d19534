using System.Diagnostics.CodeAnalysis;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>Interface facts through ioctl(2) on an AF_INET datagram socket, as ucarp reads them.</summary>
internal static class InterfaceInfo
{
    /// <summary>What <see cref="TryHardwareAddress"/> says of a name that does not fit in IFNAMSIZ: no call was made.</summary>
    public static readonly SysError NameTooLong = new(0, "the name does not fit in IFNAMSIZ");

    /// <summary>SIOCGIFHWADDR: false when the interface has no hardware address, or its name is <see cref="NameTooLong"/>.</summary>
    public static unsafe bool TryHardwareAddress(FileDescriptor socket, string name, [NotNullWhen(true)] out byte[]? mac, out ushort hardwareType,
                                                 out SysError error)
    {
        mac = null;
        hardwareType = 0;
        if (!IfReq.TryCreate(CStrings.Bytes(name), out IfReq ifr))
        {
            error = NameTooLong;
            return false;
        }
        if (Libc.Ioctl(socket.Fd, Libc.SIOCGIFHWADDR, &ifr) != 0)
        {
            error = SysError.Last();
            return false;
        }
        hardwareType = ifr.HwFamily;
        mac = ifr.HwAddress();
        error = SysError.None;
        return true;
    }

    /// <summary>SIOCGIFINDEX; a name that does not fit in IFNAMSIZ names no device (ENODEV).</summary>
    public static unsafe bool TryIndex(FileDescriptor socket, string name, out int index, out SysError error)
    {
        index = 0;
        if (!IfReq.TryCreate(CStrings.Bytes(name), out IfReq ifr))
        {
            error = new SysError(Libc.ENODEV);
            return false;
        }
        if (Libc.Ioctl(socket.Fd, Libc.SIOCGIFINDEX, &ifr) != 0)
        {
            error = SysError.Last();
            return false;
        }
        index = ifr.IfIndex;
        error = SysError.None;
        return true;
    }

    /// <summary>SIOCGIFFLAGS; false when the interface is gone.</summary>
    public static bool TryFlags(FileDescriptor socket, string name, out short flags) => TryFlags(socket, CStrings.Bytes(name), out flags);

    /// <summary>SIOCGIFFLAGS with the name already encoded: the event loop's check allocates nothing.</summary>
    public static unsafe bool TryFlags(FileDescriptor socket, byte[] name, out short flags)
    {
        flags = 0;
        if (!IfReq.TryCreate(name, out IfReq ifr) || Libc.Ioctl(socket.Fd, Libc.SIOCGIFFLAGS, &ifr) != 0)
        {
            return false;
        }
        flags = ifr.Flags;
        return true;
    }

    /// <summary>
    /// socket(PF_PACKET, SOCK_PACKET, 0), as fillmac.c opens it for the MAC lookup; false
    /// without CAP_NET_RAW. Protocol 0: it never receives a frame.
    /// </summary>
    public static bool TryRawDevice([NotNullWhen(true)] out FileDescriptor? socket, out SysError error) =>
        TrySocket(Libc.AF_PACKET, Libc.SOCK_PACKET | Libc.SOCK_CLOEXEC, out socket, out error);

    public static bool TryDatagramSocket([NotNullWhen(true)] out FileDescriptor? socket, out SysError error, int family = Libc.AF_INET) =>
        TrySocket(family, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, out socket, out error);

    static bool TrySocket(int family, int type, [NotNullWhen(true)] out FileDescriptor? socket, out SysError error)
    {
        int fd = Libc.Socket(family, type, 0);
        error = fd < 0 ? SysError.Last() : SysError.None;
        socket = fd < 0 ? null : new FileDescriptor(fd);
        return socket is not null;
    }

    /// <summary>
    /// What libpcap's pcap_lookupdev() answers when no -i is given: the first interface
    /// that is up, running and not a loopback, preferring the lowest instance number
    /// at the end of its name (then the lowest index), and "any" when there is none.
    /// </summary>
    public static string? DefaultInterface()
    {
        if (!TryDatagramSocket(out FileDescriptor? socket, out _))
        {
            return "any";
        }
        using FileDescriptor held = socket;
        var candidates = new List<(long Merit, int Index, string Name)>();
        string[] names;
        try
        {
            names = Array.ConvertAll(Directory.GetFileSystemEntries("/sys/class/net"), e => Path.GetFileName(e));
        }
        catch (IOException)
        {
            return "any";
        }
        foreach (string name in names)
        {
            if (!TryFlags(socket, name, out short flags)
                || (flags & Libc.IFF_LOOPBACK) != 0
                || (flags & Libc.IFF_UP) == 0
                || (flags & Libc.IFF_RUNNING) == 0)
            {
                continue;
            }
            // An index that cannot be read counts as its -errno (first in the order), as it
            // did before: which interface is chosen must not change.
            candidates.Add((InstanceNumber(name), TryIndex(socket, name, out int index, out SysError error) ? index : -error.Errno, name));
        }
        if (candidates.Count == 0)
        {
            return "any";
        }
        // The lowest merit, then the lowest index; the first found on a tie.
        (long Merit, int Index, string Name) best = candidates[0];
        foreach ((long Merit, int Index, string Name) c in candidates)
        {
            if (c.Merit < best.Merit || (c.Merit == best.Merit && c.Index < best.Index))
            {
                best = c;
            }
        }
        return best.Name;
    }

    /// <summary>libpcap's figure of merit: the number ending the name plus one, or 0 without one.</summary>
    static long InstanceNumber(string name)
    {
        int start = name.Length;
        while (start > 0 && char.IsAsciiDigit(name[start - 1]))
        {
            start--;
        }
        return start == name.Length ? 0 : long.Parse(name.AsSpan(start), System.Globalization.CultureInfo.InvariantCulture) + 1;
    }
}
