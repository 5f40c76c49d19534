using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ucarp.Core.Wire;
using Ucarp.Interop;

namespace Ucarp.Integration.Tests;

/// <summary>
/// The daemon's hand-written structs and constants against the real C headers: a small C
/// program prints sizes, offsets and values, compiled here with the system's compiler.
/// </summary>
[Category("Interop")]
public class InteropLayoutTests
{
    const string Program = """
        #define _GNU_SOURCE
        #include <stdio.h>
        #include <stddef.h>
        #include <fcntl.h>
        #include <poll.h>
        #include <spawn.h>
        #include <signal.h>
        #include <syslog.h>
        #include <errno.h>
        #include <time.h>
        #include <sys/socket.h>
        #include <sys/un.h>
        #include <sys/stat.h>
        #include <sys/ioctl.h>
        #include <sys/eventfd.h>
        #include <sys/epoll.h>
        #include <sys/wait.h>
        #include <sys/mman.h>
        #include <net/if.h>
        #include <net/if_arp.h>
        #include <netinet/in.h>
        #include <linux/if_packet.h>
        #include <linux/if_ether.h>
        #include <linux/filter.h>
        #include <linux/netlink.h>
        #include <linux/rtnetlink.h>
        #include <linux/if_addr.h>
        #include <linux/if_link.h>
        #define P(name, value) printf("%s=%ld\n", name, (long)(value))
        int main(void) {
            P("sizeof ifreq", sizeof(struct ifreq)); P("offset ifr_flags", offsetof(struct ifreq, ifr_flags));
            P("offset ifr_hwaddr", offsetof(struct ifreq, ifr_hwaddr)); P("offset ifr_ifindex", offsetof(struct ifreq, ifr_ifindex));
            P("sizeof sockaddr_ll", sizeof(struct sockaddr_ll)); P("offset sll_ifindex", offsetof(struct sockaddr_ll, sll_ifindex));
            P("offset sll_protocol", offsetof(struct sockaddr_ll, sll_protocol));
            P("sizeof sock_filter", sizeof(struct sock_filter)); P("sizeof sock_fprog", sizeof(struct sock_fprog));
            P("sizeof sock_filter, as BpfInstruction", sizeof(struct sock_filter));
            P("offset sock_filter jt", offsetof(struct sock_filter, jt)); P("offset sock_filter k", offsetof(struct sock_filter, k));
            P("sizeof mmsghdr", sizeof(struct mmsghdr)); P("offset msg_len", offsetof(struct mmsghdr, msg_len));
            P("offset msg_iov", offsetof(struct mmsghdr, msg_hdr.msg_iov)); P("offset msg_flags", offsetof(struct mmsghdr, msg_hdr.msg_flags));
            P("sizeof iovec", sizeof(struct iovec));
            P("offset fprog filter", offsetof(struct sock_fprog, filter));
            P("sizeof ip_mreq", sizeof(struct ip_mreq)); P("sizeof pollfd", sizeof(struct pollfd));
            P("sizeof timespec", sizeof(struct timespec));
            P("sizeof posix_spawnattr_t", sizeof(posix_spawnattr_t)); P("sizeof posix_spawn_file_actions_t", sizeof(posix_spawn_file_actions_t));
            P("sizeof sigset_t", sizeof(sigset_t));
            P("SIOCGIFFLAGS", SIOCGIFFLAGS); P("SIOCGIFHWADDR", SIOCGIFHWADDR); P("SIOCGIFINDEX", SIOCGIFINDEX);
            P("IFF_UP", IFF_UP); P("IFF_RUNNING", IFF_RUNNING); P("IFF_LOOPBACK", IFF_LOOPBACK); P("IFNAMSIZ", IFNAMSIZ);
            P("ARPHRD_ETHER", ARPHRD_ETHER); P("ARPHRD_IEEE802", ARPHRD_IEEE802);
            P("AF_UNIX", AF_UNIX); P("IP_HDRINCL", IP_HDRINCL); P("AF_INET", AF_INET); P("AF_PACKET", AF_PACKET); P("SOCK_DGRAM", SOCK_DGRAM); P("SOCK_RAW", SOCK_RAW); P("SOCK_PACKET", SOCK_PACKET);
            P("SOCK_CLOEXEC", SOCK_CLOEXEC); P("SOCK_NONBLOCK", SOCK_NONBLOCK); P("ETH_P_IP", ETH_P_IP);
            P("SOL_SOCKET", SOL_SOCKET); P("SO_ATTACH_FILTER", SO_ATTACH_FILTER); P("SO_RCVBUF", SO_RCVBUF);
            P("SO_RCVBUFFORCE", SO_RCVBUFFORCE); P("SO_ERROR", SO_ERROR); P("O_CLOEXEC", O_CLOEXEC); P("SOL_PACKET", SOL_PACKET); P("PACKET_IGNORE_OUTGOING", PACKET_IGNORE_OUTGOING);
            P("IPPROTO_IP", IPPROTO_IP); P("IP_ADD_MEMBERSHIP", IP_ADD_MEMBERSHIP); P("MSG_DONTWAIT", MSG_DONTWAIT);
            P("AF_INET6", AF_INET6); P("ETH_P_IPV6", ETH_P_IPV6); P("IPPROTO_IPV6", IPPROTO_IPV6);
            P("IPV6_ADD_MEMBERSHIP", IPV6_ADD_MEMBERSHIP); P("IPV6_HDRINCL", IPV6_HDRINCL);
            P("sizeof ipv6_mreq", sizeof(struct ipv6_mreq)); P("offset ipv6mr_interface", offsetof(struct ipv6_mreq, ipv6mr_interface));
            P("POLLIN", POLLIN); P("POLLERR", POLLERR); P("POLLHUP", POLLHUP); P("POLLNVAL", POLLNVAL);
            P("EINTR", EINTR); P("EAGAIN", EAGAIN); P("ENODEV", ENODEV); P("ENOMEM", ENOMEM);
            P("POSIX_SPAWN_SETSIGDEF", POSIX_SPAWN_SETSIGDEF); P("POSIX_SPAWN_SETSIGMASK", POSIX_SPAWN_SETSIGMASK);
            P("POSIX_SPAWN_SETSID", POSIX_SPAWN_SETSID); P("POSIX_SPAWN_SETPGROUP", POSIX_SPAWN_SETPGROUP); P("SIGKILL", SIGKILL);
            P("O_RDONLY", O_RDONLY); P("O_WRONLY", O_WRONLY);
            P("WNOHANG", WNOHANG); P("LOG_PID", LOG_PID); P("EFD_CLOEXEC", EFD_CLOEXEC); P("EFD_NONBLOCK", EFD_NONBLOCK);
            P("SHUT_RDWR", SHUT_RDWR);
            P("sizeof nlmsghdr", sizeof(struct nlmsghdr)); P("offset nlmsg_type", offsetof(struct nlmsghdr, nlmsg_type));
            P("offset nlmsg_seq", offsetof(struct nlmsghdr, nlmsg_seq)); P("offset nlmsg_pid", offsetof(struct nlmsghdr, nlmsg_pid));
            P("sizeof ifaddrmsg", sizeof(struct ifaddrmsg)); P("offset ifa_flags", offsetof(struct ifaddrmsg, ifa_flags));
            P("offset ifa_index", offsetof(struct ifaddrmsg, ifa_index));
            P("sizeof rtattr", sizeof(struct rtattr)); P("offset rta_type", offsetof(struct rtattr, rta_type));
            P("sizeof nlmsgerr", sizeof(struct nlmsgerr)); P("offset nlmsgerr msg", offsetof(struct nlmsgerr, msg));
            P("sizeof sockaddr_nl", sizeof(struct sockaddr_nl)); P("offset nl_pid", offsetof(struct sockaddr_nl, nl_pid));
            P("NLMSG_HDRLEN", NLMSG_HDRLEN); P("RTA_LENGTH(4)", RTA_LENGTH(4)); P("RTA_LENGTH(16)", RTA_LENGTH(16));
            P("AF_NETLINK", AF_NETLINK); P("NETLINK_ROUTE", NETLINK_ROUTE); P("NLMSG_ERROR", NLMSG_ERROR);
            P("RTM_NEWADDR", RTM_NEWADDR); P("RTM_DELADDR", RTM_DELADDR);
            P("NLM_F_REQUEST", NLM_F_REQUEST); P("NLM_F_ACK", NLM_F_ACK); P("NLM_F_EXCL", NLM_F_EXCL); P("NLM_F_CREATE", NLM_F_CREATE);
            P("IFA_ADDRESS", IFA_ADDRESS); P("IFA_LOCAL", IFA_LOCAL); P("IFA_F_NODAD", IFA_F_NODAD); P("RT_SCOPE_UNIVERSE", RT_SCOPE_UNIVERSE);
            P("EEXIST", EEXIST); P("EADDRNOTAVAIL", EADDRNOTAVAIL); P("ETIMEDOUT", ETIMEDOUT);
            P("sizeof sockaddr_un", sizeof(struct sockaddr_un)); P("sizeof sun_path", sizeof(((struct sockaddr_un *)0)->sun_path));
            P("sizeof ucred", sizeof(struct ucred)); P("offset ucred uid", offsetof(struct ucred, uid));
            P("sizeof statx", sizeof(struct statx)); P("offset stx_uid", offsetof(struct statx, stx_uid));
            P("offset stx_mode", offsetof(struct statx, stx_mode)); P("offset stx_ino", offsetof(struct statx, stx_ino));
            P("SO_PEERCRED", SO_PEERCRED); P("EPERM", EPERM); P("ENOENT", ENOENT); P("EACCES", EACCES); P("ENOTDIR", ENOTDIR);
            P("ENFILE", ENFILE); P("EMFILE", EMFILE); P("EPIPE", EPIPE); P("ECONNABORTED", ECONNABORTED); P("ECONNRESET", ECONNRESET);
            P("ECONNREFUSED", ECONNREFUSED); P("O_DIRECTORY", O_DIRECTORY); P("O_NOFOLLOW", O_NOFOLLOW); P("AT_FDCWD", AT_FDCWD);
            P("AT_SYMLINK_NOFOLLOW", AT_SYMLINK_NOFOLLOW); P("STATX_TYPE", STATX_TYPE); P("STATX_MODE", STATX_MODE); P("STATX_INO", STATX_INO);
            P("S_IFMT", S_IFMT); P("S_IFSOCK", S_IFSOCK); P("S_IFLNK", S_IFLNK);
            P("RTM_NEWLINK", RTM_NEWLINK); P("RTM_DELLINK", RTM_DELLINK); P("RTM_GETLINK", RTM_GETLINK); P("NLA_F_NESTED", NLA_F_NESTED);
            P("IFLA_ADDRESS", IFLA_ADDRESS); P("IFLA_IFNAME", IFLA_IFNAME); P("IFLA_LINK", IFLA_LINK); P("IFLA_LINKINFO", IFLA_LINKINFO);
            P("IFLA_IFALIAS", IFLA_IFALIAS); P("IFLA_AF_SPEC", IFLA_AF_SPEC); P("IFLA_INFO_KIND", IFLA_INFO_KIND); P("IFLA_INFO_DATA", IFLA_INFO_DATA);
            P("IFLA_MACVLAN_MODE", IFLA_MACVLAN_MODE); P("MACVLAN_MODE_PRIVATE", MACVLAN_MODE_PRIVATE);
            P("IFLA_INET6_ADDR_GEN_MODE", IFLA_INET6_ADDR_GEN_MODE); P("IN6_ADDR_GEN_MODE_NONE", IN6_ADDR_GEN_MODE_NONE);
            P("AF_UNSPEC", AF_UNSPEC); P("sizeof ifinfomsg", sizeof(struct ifinfomsg));
            P("sizeof epoll_event", sizeof(struct epoll_event)); P("offset epoll data", offsetof(struct epoll_event, data));
            P("EPOLL_CLOEXEC", EPOLL_CLOEXEC); P("EPOLL_CTL_ADD", EPOLL_CTL_ADD); P("EPOLL_CTL_DEL", EPOLL_CTL_DEL);
            P("EPOLLIN", EPOLLIN); P("EPOLLERR", EPOLLERR); P("EPOLLHUP", EPOLLHUP);
            P("sizeof tpacket_req", sizeof(struct tpacket_req)); P("offset tp_frame_size", offsetof(struct tpacket_req, tp_frame_size));
            P("offset tp_frame_nr", offsetof(struct tpacket_req, tp_frame_nr));
            P("sizeof tpacket2_hdr", sizeof(struct tpacket2_hdr)); P("offset tp_len", offsetof(struct tpacket2_hdr, tp_len));
            P("offset tp_snaplen", offsetof(struct tpacket2_hdr, tp_snaplen)); P("offset tp_mac", offsetof(struct tpacket2_hdr, tp_mac));
            P("PACKET_RX_RING", PACKET_RX_RING); P("PACKET_COPY_THRESH", PACKET_COPY_THRESH); P("PACKET_VERSION", PACKET_VERSION);
            P("TPACKET_V2", TPACKET_V2); P("TP_STATUS_KERNEL", TP_STATUS_KERNEL); P("TP_STATUS_USER", TP_STATUS_USER); P("TP_STATUS_COPY", TP_STATUS_COPY);
            P("PROT_READ", PROT_READ); P("PROT_WRITE", PROT_WRITE); P("MAP_SHARED", MAP_SHARED); P("MSG_TRUNC", MSG_TRUNC);
            return 0;
        }
        """;

    static Dictionary<string, long> _c = null!;

    [OneTimeSetUp]
    public void Compile()
    {
        if (!File.Exists("/usr/bin/cc") && !File.Exists("/usr/bin/gcc"))
        {
            Assert.Ignore("no C compiler to read the headers with");
        }
        string dir = Directory.CreateTempSubdirectory("ucarpnet-layout-").FullName;
        File.WriteAllText(Path.Combine(dir, "layout.c"), Program);
        Infrastructure.Shell.Run("cc", "-o", Path.Combine(dir, "layout"), Path.Combine(dir, "layout.c"));
        _c = Infrastructure.Shell.Run(Path.Combine(dir, "layout"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('='))
            .ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
        Directory.Delete(dir, true);
    }

    /// <summary>Where a byte of a known instruction lies in BpfInstruction's memory (k's low byte, little-endian).</summary>
    static long BpfInstructionOffset(byte marker)
    {
        BpfInstruction[] one = [new BpfInstruction(0x1234, 0x56, 0x78, 0x9abcdef0)];
        return MemoryMarshal.AsBytes(one.AsSpan()).IndexOf(marker);
    }

    public static IEnumerable<TestCaseData> Layouts()
    {
        yield return new TestCaseData("sizeof ifreq", (long)Marshal.SizeOf<IfReq>());
        yield return new TestCaseData("offset ifr_flags", (long)Marshal.OffsetOf<IfReq>("Union"));
        yield return new TestCaseData("offset ifr_hwaddr", (long)Marshal.OffsetOf<IfReq>("Union"));
        yield return new TestCaseData("offset ifr_ifindex", (long)Marshal.OffsetOf<IfReq>("Union"));
        yield return new TestCaseData("sizeof sockaddr_ll", (long)Marshal.SizeOf<SockAddrLl>());
        yield return new TestCaseData("offset sll_ifindex", (long)Marshal.OffsetOf<SockAddrLl>(nameof(SockAddrLl.IfIndex)));
        yield return new TestCaseData("offset sll_protocol", (long)Marshal.OffsetOf<SockAddrLl>(nameof(SockAddrLl.Protocol)));
        yield return new TestCaseData("sizeof sock_filter", (long)Marshal.SizeOf<SockFilter>());
        // The core's filter programs are handed to the kernel as they are (PacketSocket.TrySetFilter).
        yield return new TestCaseData("sizeof sock_filter, as BpfInstruction", (long)Unsafe.SizeOf<BpfInstruction>());
        yield return new TestCaseData("offset sock_filter jt", BpfInstructionOffset(0x56));
        yield return new TestCaseData("offset sock_filter k", BpfInstructionOffset(0xf0));
        yield return new TestCaseData("sizeof mmsghdr", (long)Marshal.SizeOf<MMsgHdr>());
        yield return new TestCaseData("offset msg_len", (long)Marshal.OffsetOf<MMsgHdr>(nameof(MMsgHdr.Length)));
        yield return new TestCaseData("offset msg_iov", (long)Marshal.OffsetOf<MMsgHdr>(nameof(MMsgHdr.Iov)));
        yield return new TestCaseData("offset msg_flags", (long)Marshal.OffsetOf<MMsgHdr>(nameof(MMsgHdr.Flags)));
        yield return new TestCaseData("sizeof iovec", (long)Marshal.SizeOf<IoVec>());
        yield return new TestCaseData("sizeof tpacket_req", (long)Marshal.SizeOf<TPacketReq>());
        yield return new TestCaseData("offset tp_frame_size", (long)Marshal.OffsetOf<TPacketReq>(nameof(TPacketReq.FrameSize)));
        yield return new TestCaseData("offset tp_frame_nr", (long)Marshal.OffsetOf<TPacketReq>(nameof(TPacketReq.FrameCount)));
        yield return new TestCaseData("sizeof tpacket2_hdr", (long)Marshal.SizeOf<TPacket2Header>());
        yield return new TestCaseData("offset tp_len", (long)Marshal.OffsetOf<TPacket2Header>(nameof(TPacket2Header.Length)));
        yield return new TestCaseData("offset tp_snaplen", (long)Marshal.OffsetOf<TPacket2Header>(nameof(TPacket2Header.SnapLength)));
        yield return new TestCaseData("offset tp_mac", (long)Marshal.OffsetOf<TPacket2Header>(nameof(TPacket2Header.Mac)));
        yield return new TestCaseData("PACKET_RX_RING", (long)Libc.PACKET_RX_RING);
        yield return new TestCaseData("PACKET_COPY_THRESH", (long)Libc.PACKET_COPY_THRESH);
        yield return new TestCaseData("PACKET_VERSION", (long)Libc.PACKET_VERSION);
        yield return new TestCaseData("TPACKET_V2", (long)Libc.TPACKET_V2);
        yield return new TestCaseData("TP_STATUS_KERNEL", (long)Libc.TP_STATUS_KERNEL);
        yield return new TestCaseData("TP_STATUS_USER", (long)Libc.TP_STATUS_USER);
        yield return new TestCaseData("TP_STATUS_COPY", (long)Libc.TP_STATUS_COPY);
        yield return new TestCaseData("PROT_READ", (long)Libc.PROT_READ);
        yield return new TestCaseData("PROT_WRITE", (long)Libc.PROT_WRITE);
        yield return new TestCaseData("MAP_SHARED", (long)Libc.MAP_SHARED);
        yield return new TestCaseData("MSG_TRUNC", (long)Libc.MSG_TRUNC);
        yield return new TestCaseData("sizeof sock_fprog", (long)Marshal.SizeOf<SockFprog>());
        yield return new TestCaseData("offset fprog filter", (long)Marshal.OffsetOf<SockFprog>(nameof(SockFprog.Filter)));
        yield return new TestCaseData("sizeof ip_mreq", (long)Marshal.SizeOf<IpMreq>());
        yield return new TestCaseData("sizeof ipv6_mreq", (long)Marshal.SizeOf<Ipv6Mreq>());
        yield return new TestCaseData("offset ipv6mr_interface", (long)Marshal.OffsetOf<Ipv6Mreq>(nameof(Ipv6Mreq.IfIndex)));
        yield return new TestCaseData("AF_INET6", (long)Libc.AF_INET6);
        yield return new TestCaseData("ETH_P_IPV6", (long)Libc.ETH_P_IPV6);
        yield return new TestCaseData("IPPROTO_IPV6", (long)Libc.IPPROTO_IPV6);
        yield return new TestCaseData("IPV6_ADD_MEMBERSHIP", (long)Libc.IPV6_ADD_MEMBERSHIP);
        yield return new TestCaseData("IPV6_HDRINCL", (long)Libc.IPV6_HDRINCL);
        yield return new TestCaseData("sizeof pollfd", (long)Marshal.SizeOf<PollFd>());
        yield return new TestCaseData("sizeof epoll_event", (long)Marshal.SizeOf<EpollEvent>());
        yield return new TestCaseData("offset epoll data", (long)Marshal.OffsetOf<EpollEvent>(nameof(EpollEvent.Data)));
        yield return new TestCaseData("EPOLL_CLOEXEC", (long)Libc.EPOLL_CLOEXEC);
        yield return new TestCaseData("EPOLL_CTL_ADD", (long)Libc.EPOLL_CTL_ADD);
        yield return new TestCaseData("EPOLL_CTL_DEL", (long)Libc.EPOLL_CTL_DEL);
        yield return new TestCaseData("EPOLLIN", (long)Libc.EPOLLIN);
        yield return new TestCaseData("EPOLLERR", (long)Libc.EPOLLERR);
        yield return new TestCaseData("EPOLLHUP", (long)Libc.EPOLLHUP);
        yield return new TestCaseData("sizeof timespec", (long)Marshal.SizeOf<TimeSpec>());
        yield return new TestCaseData("sizeof posix_spawnattr_t", (long)Libc.SpawnAttrSize);
        yield return new TestCaseData("sizeof posix_spawn_file_actions_t", (long)Libc.SpawnFileActionsSize);
        yield return new TestCaseData("sizeof sigset_t", (long)Libc.SigSetSize);
        yield return new TestCaseData("SIOCGIFFLAGS", (long)Libc.SIOCGIFFLAGS);
        yield return new TestCaseData("SIOCGIFHWADDR", (long)Libc.SIOCGIFHWADDR);
        yield return new TestCaseData("SIOCGIFINDEX", (long)Libc.SIOCGIFINDEX);
        yield return new TestCaseData("IFF_UP", (long)Libc.IFF_UP);
        yield return new TestCaseData("IFF_RUNNING", (long)Libc.IFF_RUNNING);
        yield return new TestCaseData("IFF_LOOPBACK", (long)Libc.IFF_LOOPBACK);
        yield return new TestCaseData("IFNAMSIZ", (long)Libc.IFNAMSIZ);
        yield return new TestCaseData("ARPHRD_ETHER", (long)Libc.ARPHRD_ETHER);
        yield return new TestCaseData("ARPHRD_IEEE802", (long)Libc.ARPHRD_IEEE802);
        yield return new TestCaseData("AF_INET", (long)Libc.AF_INET);
        yield return new TestCaseData("AF_PACKET", (long)Libc.AF_PACKET);
        yield return new TestCaseData("AF_UNIX", (long)Libc.AF_UNIX);
        yield return new TestCaseData("SOCK_PACKET", (long)Libc.SOCK_PACKET);
        yield return new TestCaseData("IP_HDRINCL", (long)Libc.IP_HDRINCL);
        yield return new TestCaseData("SOCK_DGRAM", (long)Libc.SOCK_DGRAM);
        yield return new TestCaseData("SOCK_RAW", (long)Libc.SOCK_RAW);
        yield return new TestCaseData("SOCK_CLOEXEC", (long)Libc.SOCK_CLOEXEC);
        yield return new TestCaseData("SOCK_NONBLOCK", (long)Libc.SOCK_NONBLOCK);
        yield return new TestCaseData("ETH_P_IP", (long)Libc.ETH_P_IP);
        yield return new TestCaseData("SOL_SOCKET", (long)Libc.SOL_SOCKET);
        yield return new TestCaseData("SO_ATTACH_FILTER", (long)Libc.SO_ATTACH_FILTER);
        yield return new TestCaseData("SO_RCVBUF", (long)Libc.SO_RCVBUF);
        yield return new TestCaseData("SO_RCVBUFFORCE", (long)Libc.SO_RCVBUFFORCE);
        yield return new TestCaseData("SO_ERROR", (long)Libc.SO_ERROR);
        yield return new TestCaseData("O_CLOEXEC", (long)Libc.O_CLOEXEC);
        yield return new TestCaseData("SOL_PACKET", (long)Libc.SOL_PACKET);
        yield return new TestCaseData("PACKET_IGNORE_OUTGOING", (long)Libc.PACKET_IGNORE_OUTGOING);
        yield return new TestCaseData("IPPROTO_IP", (long)Libc.IPPROTO_IP);
        yield return new TestCaseData("IP_ADD_MEMBERSHIP", (long)Libc.IP_ADD_MEMBERSHIP);
        yield return new TestCaseData("MSG_DONTWAIT", (long)Libc.MSG_DONTWAIT);
        yield return new TestCaseData("POLLIN", (long)Libc.POLLIN);
        yield return new TestCaseData("POLLERR", (long)Libc.POLLERR);
        yield return new TestCaseData("POLLHUP", (long)Libc.POLLHUP);
        yield return new TestCaseData("POLLNVAL", (long)Libc.POLLNVAL);
        yield return new TestCaseData("EINTR", (long)Libc.EINTR);
        yield return new TestCaseData("EAGAIN", (long)Libc.EAGAIN);
        yield return new TestCaseData("ENODEV", (long)Libc.ENODEV);
        yield return new TestCaseData("ENOMEM", (long)Libc.ENOMEM);
        yield return new TestCaseData("POSIX_SPAWN_SETSIGDEF", (long)Libc.POSIX_SPAWN_SETSIGDEF);
        yield return new TestCaseData("POSIX_SPAWN_SETSIGMASK", (long)Libc.POSIX_SPAWN_SETSIGMASK);
        yield return new TestCaseData("POSIX_SPAWN_SETSID", (long)Libc.POSIX_SPAWN_SETSID);
        yield return new TestCaseData("POSIX_SPAWN_SETPGROUP", (long)Libc.POSIX_SPAWN_SETPGROUP);
        yield return new TestCaseData("SIGKILL", (long)Libc.SIGKILL);
        yield return new TestCaseData("O_RDONLY", (long)Libc.O_RDONLY);
        yield return new TestCaseData("O_WRONLY", (long)Libc.O_WRONLY);
        yield return new TestCaseData("WNOHANG", (long)Libc.WNOHANG);
        yield return new TestCaseData("LOG_PID", (long)Libc.LOG_PID);
        yield return new TestCaseData("EFD_CLOEXEC", (long)Libc.EFD_CLOEXEC);
        yield return new TestCaseData("EFD_NONBLOCK", (long)Libc.EFD_NONBLOCK);
        yield return new TestCaseData("SHUT_RDWR", (long)Libc.SHUT_RDWR);
        // The --vmac child's requests, written in the core (Ucarp.Core.Vmac.LinkRequest).
        yield return new TestCaseData("RTM_NEWLINK", (long)Core.Vmac.LinkRequest.RTM_NEWLINK);
        yield return new TestCaseData("RTM_DELLINK", (long)Core.Vmac.LinkRequest.RTM_DELLINK);
        yield return new TestCaseData("RTM_GETLINK", (long)Core.Vmac.LinkRequest.RTM_GETLINK);
        yield return new TestCaseData("NLM_F_REQUEST", (long)Core.Vmac.LinkRequest.NLM_F_REQUEST);
        yield return new TestCaseData("NLM_F_ACK", (long)Core.Vmac.LinkRequest.NLM_F_ACK);
        yield return new TestCaseData("NLM_F_EXCL", (long)Core.Vmac.LinkRequest.NLM_F_EXCL);
        yield return new TestCaseData("NLM_F_CREATE", (long)Core.Vmac.LinkRequest.NLM_F_CREATE);
        yield return new TestCaseData("NLA_F_NESTED", (long)Core.Vmac.LinkRequest.NLA_F_NESTED);
        yield return new TestCaseData("IFLA_ADDRESS", (long)Core.Vmac.LinkRequest.IFLA_ADDRESS);
        yield return new TestCaseData("IFLA_IFNAME", (long)Core.Vmac.LinkRequest.IFLA_IFNAME);
        yield return new TestCaseData("IFLA_LINK", (long)Core.Vmac.LinkRequest.IFLA_LINK);
        yield return new TestCaseData("IFLA_LINKINFO", (long)Core.Vmac.LinkRequest.IFLA_LINKINFO);
        yield return new TestCaseData("IFLA_IFALIAS", (long)Core.Vmac.LinkRequest.IFLA_IFALIAS);
        yield return new TestCaseData("IFLA_AF_SPEC", (long)Core.Vmac.LinkRequest.IFLA_AF_SPEC);
        yield return new TestCaseData("IFLA_INFO_KIND", (long)Core.Vmac.LinkRequest.IFLA_INFO_KIND);
        yield return new TestCaseData("IFLA_INFO_DATA", (long)Core.Vmac.LinkRequest.IFLA_INFO_DATA);
        yield return new TestCaseData("IFLA_MACVLAN_MODE", (long)Core.Vmac.LinkRequest.IFLA_MACVLAN_MODE);
        yield return new TestCaseData("MACVLAN_MODE_PRIVATE", (long)Core.Vmac.LinkRequest.MACVLAN_MODE_PRIVATE);
        yield return new TestCaseData("IFLA_INET6_ADDR_GEN_MODE", (long)Core.Vmac.LinkRequest.IFLA_INET6_ADDR_GEN_MODE);
        yield return new TestCaseData("IN6_ADDR_GEN_MODE_NONE", (long)Core.Vmac.LinkRequest.IN6_ADDR_GEN_MODE_NONE);
        yield return new TestCaseData("AF_UNSPEC", (long)Core.Vmac.LinkRequest.AF_UNSPEC);
        yield return new TestCaseData("AF_INET6", (long)Core.Vmac.LinkRequest.AF_INET6);
        yield return new TestCaseData("IFF_UP", (long)Core.Vmac.LinkRequest.IFF_UP);
        yield return new TestCaseData("sizeof nlmsghdr", (long)Core.Vmac.LinkRequest.HeaderSize);
        yield return new TestCaseData("sizeof ifinfomsg", (long)Core.Vmac.LinkRequest.InfoSize);
        yield return new TestCaseData("sizeof nlmsghdr", (long)Marshal.SizeOf<NlMsgHdr>());
        yield return new TestCaseData("offset nlmsg_type", (long)Marshal.OffsetOf<NlMsgHdr>(nameof(NlMsgHdr.Type)));
        yield return new TestCaseData("offset nlmsg_seq", (long)Marshal.OffsetOf<NlMsgHdr>(nameof(NlMsgHdr.Seq)));
        yield return new TestCaseData("offset nlmsg_pid", (long)Marshal.OffsetOf<NlMsgHdr>(nameof(NlMsgHdr.Pid)));
        yield return new TestCaseData("NLMSG_HDRLEN", (long)Marshal.SizeOf<NlMsgHdr>());
        yield return new TestCaseData("sizeof ifaddrmsg", (long)Marshal.SizeOf<IfAddrMsg>());
        yield return new TestCaseData("offset ifa_flags", (long)Marshal.OffsetOf<IfAddrMsg>(nameof(IfAddrMsg.Flags)));
        yield return new TestCaseData("offset ifa_index", (long)Marshal.OffsetOf<IfAddrMsg>(nameof(IfAddrMsg.Index)));
        yield return new TestCaseData("sizeof rtattr", (long)Marshal.SizeOf<RtAttr>());
        yield return new TestCaseData("offset rta_type", (long)Marshal.OffsetOf<RtAttr>(nameof(RtAttr.Type)));
        // The daemon writes attributes back to back, unpadded: right only while both lengths are multiples of 4.
        yield return new TestCaseData("RTA_LENGTH(4)", (long)Marshal.SizeOf<RtAttr>() + 4);
        yield return new TestCaseData("RTA_LENGTH(16)", (long)Marshal.SizeOf<RtAttr>() + 16);
        yield return new TestCaseData("sizeof sockaddr_un", (long)Marshal.SizeOf<SockAddrUn>());
        yield return new TestCaseData("sizeof sun_path", (long)SockAddrUn.PathSize);
        yield return new TestCaseData("sizeof ucred", (long)Marshal.SizeOf<UCred>());
        yield return new TestCaseData("offset ucred uid", (long)Marshal.OffsetOf<UCred>(nameof(UCred.Uid)));
        yield return new TestCaseData("sizeof statx", (long)Marshal.SizeOf<StatX>());
        yield return new TestCaseData("offset stx_uid", (long)Marshal.OffsetOf<StatX>(nameof(StatX.Uid)));
        yield return new TestCaseData("offset stx_mode", (long)Marshal.OffsetOf<StatX>(nameof(StatX.Mode)));
        yield return new TestCaseData("offset stx_ino", (long)Marshal.OffsetOf<StatX>(nameof(StatX.Ino)));
        yield return new TestCaseData("SO_PEERCRED", (long)Libc.SO_PEERCRED);
        yield return new TestCaseData("EPERM", (long)Libc.EPERM);
        yield return new TestCaseData("ENOENT", (long)Libc.ENOENT);
        yield return new TestCaseData("EACCES", (long)Libc.EACCES);
        yield return new TestCaseData("ENOTDIR", (long)Libc.ENOTDIR);
        yield return new TestCaseData("ENFILE", (long)Libc.ENFILE);
        yield return new TestCaseData("EMFILE", (long)Libc.EMFILE);
        yield return new TestCaseData("EPIPE", (long)Libc.EPIPE);
        yield return new TestCaseData("ECONNABORTED", (long)Libc.ECONNABORTED);
        yield return new TestCaseData("ECONNRESET", (long)Libc.ECONNRESET);
        yield return new TestCaseData("ECONNREFUSED", (long)Libc.ECONNREFUSED);
        yield return new TestCaseData("O_DIRECTORY", (long)Libc.O_DIRECTORY);
        yield return new TestCaseData("O_NOFOLLOW", (long)Libc.O_NOFOLLOW);
        yield return new TestCaseData("AT_FDCWD", (long)Libc.AT_FDCWD);
        yield return new TestCaseData("AT_SYMLINK_NOFOLLOW", (long)Libc.AT_SYMLINK_NOFOLLOW);
        yield return new TestCaseData("STATX_TYPE", (long)Libc.STATX_TYPE);
        yield return new TestCaseData("STATX_MODE", (long)Libc.STATX_MODE);
        yield return new TestCaseData("STATX_INO", (long)Libc.STATX_INO);
        yield return new TestCaseData("S_IFMT", (long)Libc.S_IFMT);
        yield return new TestCaseData("S_IFSOCK", (long)Libc.S_IFSOCK);
        yield return new TestCaseData("S_IFLNK", (long)Libc.S_IFLNK);
        yield return new TestCaseData("sizeof nlmsgerr", (long)Marshal.SizeOf<NlMsgErr>());
        yield return new TestCaseData("offset nlmsgerr msg", (long)Marshal.OffsetOf<NlMsgErr>(nameof(NlMsgErr.Request)));
        yield return new TestCaseData("sizeof sockaddr_nl", (long)Marshal.SizeOf<SockAddrNl>());
        yield return new TestCaseData("offset nl_pid", (long)Marshal.OffsetOf<SockAddrNl>(nameof(SockAddrNl.Pid)));
        yield return new TestCaseData("AF_NETLINK", (long)Libc.AF_NETLINK);
        yield return new TestCaseData("NETLINK_ROUTE", (long)Libc.NETLINK_ROUTE);
        yield return new TestCaseData("NLMSG_ERROR", (long)Libc.NLMSG_ERROR);
        yield return new TestCaseData("RTM_NEWADDR", (long)Libc.RTM_NEWADDR);
        yield return new TestCaseData("RTM_DELADDR", (long)Libc.RTM_DELADDR);
        yield return new TestCaseData("NLM_F_REQUEST", (long)Libc.NLM_F_REQUEST);
        yield return new TestCaseData("NLM_F_ACK", (long)Libc.NLM_F_ACK);
        yield return new TestCaseData("NLM_F_EXCL", (long)Libc.NLM_F_EXCL);
        yield return new TestCaseData("NLM_F_CREATE", (long)Libc.NLM_F_CREATE);
        yield return new TestCaseData("IFA_ADDRESS", (long)Libc.IFA_ADDRESS);
        yield return new TestCaseData("IFA_LOCAL", (long)Libc.IFA_LOCAL);
        yield return new TestCaseData("IFA_F_NODAD", (long)Libc.IFA_F_NODAD);
        yield return new TestCaseData("RT_SCOPE_UNIVERSE", (long)Libc.RT_SCOPE_UNIVERSE);
        yield return new TestCaseData("EEXIST", (long)Libc.EEXIST);
        yield return new TestCaseData("EADDRNOTAVAIL", (long)Libc.EADDRNOTAVAIL);
        yield return new TestCaseData("ETIMEDOUT", (long)Libc.ETIMEDOUT);
    }

    [TestCaseSource(nameof(Layouts))]
    public void Matches_the_C_headers(string name, long managed) => Assert.That(managed, Is.EqualTo(_c[name]), name);
}
