using System.Runtime.InteropServices;

namespace Ucarp.Interop;

internal static partial class Libc
{
    // linux/sockios.h, net/if.h, net/if_arp.h
    internal const ulong SIOCGIFFLAGS = 0x8913;
    internal const ulong SIOCGIFHWADDR = 0x8927;
    internal const ulong SIOCGIFINDEX = 0x8933;
    internal const short IFF_UP = 0x1;
    internal const short IFF_RUNNING = 0x40;
    internal const short IFF_LOOPBACK = 0x8;
    internal const int IFNAMSIZ = 16;
    internal const ushort ARPHRD_ETHER = 1;
    internal const ushort ARPHRD_IEEE802 = 6;

    [LibraryImport(Name, EntryPoint = "ioctl", SetLastError = true)]
    internal static unsafe partial int Ioctl(int fd, ulong request, IfReq* ifr);
}

/// <summary>struct ifreq (net/if.h), 40 bytes: a name, then a 24-byte union.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IfReq
{
    public fixed byte Name[16];
    // The union: sockaddr ifr_hwaddr (family + 14 data bytes), short ifr_flags, int ifr_ifindex.
    public fixed byte Union[24];

    public ushort HwFamily => (ushort)(Union[0] | Union[1] << 8);
    public short Flags => (short)(Union[0] | Union[1] << 8);
    public int IfIndex => Union[0] | Union[1] << 8 | Union[2] << 16 | Union[3] << 24;

    public byte[] HwAddress()
    {
        byte[] mac = new byte[6];
        for (int i = 0; i < 6; i++)
        {
            mac[i] = Union[2 + i];
        }
        return mac;
    }

    /// <summary>A request for <paramref name="name"/>; false when the name does not fit (ucarp's "Interface name too long").</summary>
    public static bool TryCreate(byte[] name, out IfReq ifr)
    {
        ifr = default;
        if (name.Length >= Libc.IFNAMSIZ)
        {
            return false;
        }
        for (int i = 0; i < name.Length; i++)
        {
            ifr.Name[i] = name[i];
        }
        return true;
    }
}
