using System.Runtime.InteropServices;

namespace Ucarp.Interop;

internal static partial class Libc
{
    // sys/socket.h, linux/if_ether.h, linux/if_packet.h, netinet/in.h
    internal const int AF_UNIX = 1;
    internal const int AF_INET = 2;
    internal const int AF_INET6 = 10;
    internal const int AF_PACKET = 17;
    internal const int SOCK_DGRAM = 2;
    internal const int SOCK_RAW = 3;
    internal const int SOCK_PACKET = 10;
    internal const int SOCK_CLOEXEC = 0x80000;
    internal const int SOCK_NONBLOCK = 0x800;
    internal const ushort ETH_P_IP = 0x0800;
    internal const ushort ETH_P_IPV6 = 0x86dd;
    internal const int SOL_SOCKET = 1;
    internal const int SO_ATTACH_FILTER = 26;
    internal const int SO_RCVBUF = 8;
    internal const int SO_RCVBUFFORCE = 33;
    internal const int SO_SNDBUFFORCE = 32;
    internal const int SO_SNDBUF = 7;
    internal const int SO_ERROR = 4;
    internal const int SOL_PACKET = 263;
    internal const int PACKET_IGNORE_OUTGOING = 23;
    internal const int PACKET_RX_RING = 5;
    internal const int PACKET_COPY_THRESH = 7;
    internal const int PACKET_VERSION = 10;
    internal const int TPACKET_V2 = 1;
    internal const uint TP_STATUS_KERNEL = 0;
    internal const uint TP_STATUS_USER = 1;
    internal const uint TP_STATUS_COPY = 2;
    internal const int IPPROTO_IP = 0;
    internal const int IP_ADD_MEMBERSHIP = 35;
    internal const int IP_HDRINCL = 3;
    internal const int IPPROTO_IPV6 = 41;
    internal const int IPV6_ADD_MEMBERSHIP = 20;
    internal const int IPV6_HDRINCL = 36;     // Linux 4.5+
    internal const int MSG_DONTWAIT = 0x40;
    internal const int MSG_TRUNC = 0x20;

    [LibraryImport(Name, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Name, EntryPoint = "bind", SetLastError = true)]
    internal static unsafe partial int Bind(int fd, void* address, uint length);

    [LibraryImport(Name, EntryPoint = "setsockopt", SetLastError = true)]
    internal static unsafe partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport(Name, EntryPoint = "getsockopt", SetLastError = true)]
    internal static unsafe partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);

    [LibraryImport(Name, EntryPoint = "send", SetLastError = true)]
    internal static unsafe partial nint Send(int fd, void* buffer, nuint length, int flags);

    [LibraryImport(Name, EntryPoint = "sendto", SetLastError = true)]
    internal static unsafe partial nint SendTo(int fd, void* buffer, nuint length, int flags, void* address, uint addressLength);

    [LibraryImport(Name, EntryPoint = "sendmmsg", SetLastError = true)]
    internal static unsafe partial int SendMmsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport(Name, EntryPoint = "recv", SetLastError = true)]
    internal static unsafe partial nint Recv(int fd, void* buffer, nuint length, int flags);

    internal static ushort HostToNetwork(ushort value) => (ushort)((value << 8) | (value >> 8));
}

/// <summary>struct sockaddr_ll (linux/if_packet.h), 20 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SockAddrLl
{
    public ushort Family;       // AF_PACKET
    public ushort Protocol;     // network byte order
    public int IfIndex;
    public ushort HaType;
    public byte PktType;
    public byte HaLen;
    public fixed byte Addr[8];  // unsigned char sll_addr[8]: bytes, so no 8-byte alignment
}

/// <summary>struct tpacket_req (linux/if_packet.h): the shape of a PACKET_RX_RING.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TPacketReq
{
    public uint BlockSize;    // a multiple of the page size
    public uint BlockCount;
    public uint FrameSize;    // a multiple of TPACKET_ALIGNMENT (16)
    public uint FrameCount;   // frames per block x blocks
}

/// <summary>struct tpacket2_hdr (linux/if_packet.h): what the kernel writes at the start of a ring slot; 32 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
internal struct TPacket2Header
{
    [FieldOffset(0)] public uint Status;     // TP_STATUS_*: whose the slot is
    [FieldOffset(4)] public uint Length;     // the frame's length on the wire
    [FieldOffset(8)] public uint SnapLength; // bytes of it in the slot
    [FieldOffset(12)] public ushort Mac;     // where in the slot the frame starts
}

/// <summary>struct sock_filter (linux/filter.h): one classic BPF instruction.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SockFilter
{
    public ushort Code;
    public byte Jt;
    public byte Jf;
    public uint K;

    public SockFilter(ushort code, byte jt, byte jf, uint k)
    {
        Code = code;
        Jt = jt;
        Jf = jf;
        K = k;
    }
}

/// <summary>struct sock_fprog (linux/filter.h), 16 bytes on LP64.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SockFprog
{
    public ushort Length;
    public SockFilter* Filter;
}

/// <summary>struct ip_mreq (netinet/in.h): group and local interface address, network order.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IpMreq
{
    public uint MultiAddr;
    public uint Interface;
}

/// <summary>struct ipv6_mreq (netinet/in.h), 20 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct Ipv6Mreq
{
    public fixed byte MultiAddr[16];
    public int IfIndex;
}

/// <summary>struct iovec (sys/uio.h), 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public void* Base;
    public nuint Length;
}

/// <summary>struct mmsghdr (sys/socket.h): a struct msghdr (56 bytes) then msg_len; 64 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal unsafe struct MMsgHdr
{
    [FieldOffset(0)] public void* Name;
    [FieldOffset(8)] public uint NameLength;
    [FieldOffset(16)] public IoVec* Iov;
    [FieldOffset(24)] public nuint IovLength;
    [FieldOffset(32)] public void* Control;
    [FieldOffset(40)] public nuint ControlLength;
    [FieldOffset(48)] public int Flags;
    [FieldOffset(56)] public uint Length;   // msg_len: bytes received
}
