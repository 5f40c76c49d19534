using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>Interface facts through ioctl(2) on an AF_INET datagram socket, as ucarp reads them.</summary>
internal static class InterfaceInfo
{
    /// <summary>SIOCGIFHWADDR. Null with the strerror text when the interface has no hardware address.</summary>
    public static unsafe byte[]? HardwareAddress(FileDescriptor socket, string name, out ushort hardwareType, out string? error)
    {
        hardwareType = 0;
        error = null;
        if (!IfReq.TryCreate(CStrings.Bytes(name), out IfReq ifr))
        {
            return null; // no error text: the name does not fit in IFNAMSIZ
        }
        if (Libc.Ioctl(socket.Fd, Libc.SIOCGIFHWADDR, &ifr) != 0)
        {
            error = Libc.StrError(Libc.LastErrno);
            return null;
        }
        hardwareType = ifr.HwFamily;
        return ifr.HwAddress();
    }

    /// <summary>SIOCGIFINDEX, or -errno.</summary>
    public static unsafe int Index(FileDescriptor socket, string name)
    {
        if (!IfReq.TryCreate(CStrings.Bytes(name), out IfReq ifr))
        {
            return -Libc.ENODEV;
        }
        return Libc.Ioctl(socket.Fd, Libc.SIOCGIFINDEX, &ifr) != 0 ? -Libc.LastErrno : ifr.IfIndex;
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
    /// socket(PF_PACKET, SOCK_PACKET, 0), as fillmac.c opens it for the MAC lookup; null
    /// (with errno) without CAP_NET_RAW. Protocol 0: it never receives a frame.
    /// </summary>
    public static FileDescriptor? RawDevice(out int errno)
    {
        int fd = Libc.Socket(Libc.AF_PACKET, Libc.SOCK_PACKET | Libc.SOCK_CLOEXEC, 0);
        errno = fd < 0 ? Libc.LastErrno : 0;
        return fd < 0 ? null : new FileDescriptor(fd);
    }

    public static FileDescriptor? DatagramSocket(out int errno, int family = Libc.AF_INET)
    {
        int fd = Libc.Socket(family, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        errno = fd < 0 ? Libc.LastErrno : 0;
        return fd < 0 ? null : new FileDescriptor(fd);
    }

    /// <summary>
    /// What libpcap's pcap_lookupdev() answers when no -i is given: the first interface
    /// that is up, running and not a loopback, preferring the lowest instance number
    /// at the end of its name (then the lowest index), and "any" when there is none.
    /// </summary>
    public static string? DefaultInterface()
    {
        using FileDescriptor? socket = DatagramSocket(out _);
        if (socket is null)
        {
            return "any";
        }
        var candidates = new List<(long Merit, int Index, string Name)>();
        string[] names;
        try
        {
            names = Directory.GetFileSystemEntries("/sys/class/net").Select(Path.GetFileName).OfType<string>().ToArray();
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
            candidates.Add((InstanceNumber(name), Index(socket, name), name));
        }
        return candidates.Count == 0 ? "any" : candidates.OrderBy(c => c.Merit).ThenBy(c => c.Index).First().Name;
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
