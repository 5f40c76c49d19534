using System.Runtime.InteropServices;

namespace Ucarp.Interop;

internal static partial class Libc
{
    // linux/netlink.h, linux/rtnetlink.h, linux/if_addr.h, errno.h
    internal const int AF_NETLINK = 16;
    internal const int NETLINK_ROUTE = 0;
    internal const ushort NLMSG_ERROR = 2;
    internal const ushort RTM_NEWADDR = 20;
    internal const ushort RTM_DELADDR = 21;
    internal const ushort NLM_F_REQUEST = 0x1;
    internal const ushort NLM_F_ACK = 0x4;
    internal const ushort NLM_F_EXCL = 0x200;
    internal const ushort NLM_F_CREATE = 0x400;
    internal const ushort IFA_ADDRESS = 1;
    internal const ushort IFA_LOCAL = 2;
    internal const byte IFA_F_NODAD = 0x02;
    internal const byte RT_SCOPE_UNIVERSE = 0;
    internal const uint RTMGRP_LINK = 0x1;
    internal const uint RTMGRP_IPV4_IFADDR = 0x10;
    internal const uint RTMGRP_IPV6_IFADDR = 0x100;
    internal const int ENOBUFS = 105;
    internal const int EADDRNOTAVAIL = 99;
    internal const int ETIMEDOUT = 110;
}

/// <summary>struct nlmsghdr (linux/netlink.h), 16 bytes: every netlink message starts so.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NlMsgHdr
{
    public uint Length;     // the whole message, this header included
    public ushort Type;     // RTM_NEWADDR, RTM_DELADDR, NLMSG_ERROR
    public ushort Flags;    // NLM_F_*
    public uint Seq;
    public uint Pid;        // 0: the kernel
}

/// <summary>struct ifaddrmsg (linux/if_addr.h), 8 bytes: which address, on which interface.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IfAddrMsg
{
    public byte Family;
    public byte PrefixLen;
    public byte Flags;      // IFA_F_* (IFA_F_NODAD)
    public byte Scope;
    public int Index;
}

/// <summary>struct rtattr (linux/rtnetlink.h), 4 bytes, followed by its payload padded to 4.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RtAttr
{
    public ushort Length;   // header plus payload, unpadded
    public ushort Type;     // IFA_ADDRESS, IFA_LOCAL
}

/// <summary>struct nlmsgerr (linux/netlink.h): the kernel's answer to a request with NLM_F_ACK.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NlMsgErr
{
    public int Error;       // 0, or a negative errno
    public NlMsgHdr Request;
}

/// <summary>struct sockaddr_nl (linux/netlink.h), 12 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SockAddrNl
{
    public ushort Family;   // AF_NETLINK
    public ushort Pad;
    public uint Pid;        // 0: the kernel
    public uint Groups;
}
