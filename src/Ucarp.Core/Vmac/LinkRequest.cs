using System.Buffers.Binary;
using System.Text;

namespace Ucarp.Core.Vmac;

/// <summary>
/// The rtnetlink requests that make, look up, bring up and remove a --vmac child, as
/// "ip link add NAME link PARENT address MAC type macvlan mode private" and its kin would
/// send them: struct nlmsghdr, struct ifinfomsg, then attributes (struct rtattr, each
/// padded to 4 bytes). Pure bytes, so the tests compare them with golden ones; the
/// constants are checked against the C headers (InteropLayoutTests).
/// </summary>
public static class LinkRequest
{
    // linux/rtnetlink.h, linux/netlink.h
    public const ushort RTM_NEWLINK = 16;
    public const ushort RTM_DELLINK = 17;
    public const ushort RTM_GETLINK = 18;
    public const ushort NLM_F_REQUEST = 0x1;
    public const ushort NLM_F_ACK = 0x4;
    public const ushort NLM_F_EXCL = 0x200;
    public const ushort NLM_F_CREATE = 0x400;
    public const ushort NLA_F_NESTED = 0x8000;
    // linux/if_link.h
    public const ushort IFLA_ADDRESS = 1;
    public const ushort IFLA_IFNAME = 3;
    public const ushort IFLA_LINK = 5;
    public const ushort IFLA_LINKINFO = 18;
    public const ushort IFLA_IFALIAS = 20;
    public const ushort IFLA_AF_SPEC = 26;
    public const ushort IFLA_INFO_KIND = 1;
    public const ushort IFLA_INFO_DATA = 2;
    public const ushort IFLA_MACVLAN_MODE = 1;
    public const uint MACVLAN_MODE_PRIVATE = 1;
    public const ushort IFLA_INET6_ADDR_GEN_MODE = 8;
    public const byte IN6_ADDR_GEN_MODE_NONE = 1;
    // linux/socket.h, linux/if.h
    public const byte AF_UNSPEC = 0;
    public const ushort AF_INET6 = 10;
    public const uint IFF_UP = 0x1;

    public const int HeaderSize = 16;      // struct nlmsghdr
    public const int InfoSize = 16;        // struct ifinfomsg
    public const string MacvlanKind = "macvlan";

    /// <summary>A new macvlan child of <paramref name="parent"/> in private mode with <paramref name="mac"/>, refused if the name is taken.</summary>
    public static byte[] NewMacvlan(uint seq, string name, int parent, ReadOnlySpan<byte> mac)
    {
        var w = new Writer(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq, index: 0, flags: 0, change: 0);
        w.Text(IFLA_IFNAME, name);
        w.U32(IFLA_LINK, (uint)parent);
        w.Bytes(IFLA_ADDRESS, mac);
        int info = w.Begin(IFLA_LINKINFO);
        w.Bytes(IFLA_INFO_KIND, Encoding.ASCII.GetBytes(MacvlanKind));   // no NUL, as iproute2
        int data = w.Begin(IFLA_INFO_DATA);
        // Private: the child hears nothing its siblings send; frames from the wire reach it all the same.
        w.U32(IFLA_MACVLAN_MODE, MACVLAN_MODE_PRIVATE);
        w.End(data);
        w.End(info);
        return w.Done();
    }

    /// <summary>The link called <paramref name="name"/>: the kernel answers with an RTM_NEWLINK describing it, or ENODEV.</summary>
    public static byte[] Get(uint seq, string name)
    {
        var w = new Writer(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, seq, index: 0, flags: 0, change: 0);
        w.Text(IFLA_IFNAME, name);
        return w.Done();
    }

    /// <summary>Removes the link with that index (its addresses go with it).</summary>
    public static byte[] Delete(uint seq, int index) => new Writer(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, seq, index, flags: 0, change: 0).Done();

    /// <summary>
    /// Removes the link called <paramref name="name"/>: the child just made when its index
    /// could not be learnt (the lookup after the creation failed), so that none is left.
    /// </summary>
    public static byte[] DeleteNamed(uint seq, string name)
    {
        var w = new Writer(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, seq, index: 0, flags: 0, change: 0);
        w.Text(IFLA_IFNAME, name);
        return w.Done();
    }

    /// <summary>Sets IFF_UP on the link, as "ip link set NAME up".</summary>
    public static byte[] Up(uint seq, int index) => new Writer(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq, index, IFF_UP, IFF_UP).Done();

    /// <summary>
    /// The link's alias (ip link set NAME alias TEXT): the child's mark of its maker
    /// (<see cref="VmacMark"/>), so that a later run replaces only a child a dead daemon left.
    /// </summary>
    public static byte[] Alias(uint seq, int index, string alias)
    {
        var w = new Writer(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq, index, flags: 0, change: 0);
        w.Bytes(IFLA_IFALIAS, Encoding.ASCII.GetBytes(alias));   // no NUL, as iproute2
        return w.Done();
    }

    /// <summary>
    /// No IPv6 link-local address from the MAC (addr_gen_mode none, as keepalived sets it):
    /// every router's child has the same MAC, so each would make the same fe80:: address
    /// and fail its duplicate address detection.
    /// </summary>
    public static byte[] NoLinkLocal(uint seq, int index)
    {
        var w = new Writer(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq, index, flags: 0, change: 0);
        int spec = w.Begin(IFLA_AF_SPEC);
        int inet6 = w.Begin(AF_INET6);
        w.Bytes(IFLA_INET6_ADDR_GEN_MODE, [IN6_ADDR_GEN_MODE_NONE]);
        w.End(inet6);
        w.End(spec);
        return w.Done();
    }

    /// <summary>A message being written: the header's length is filled in by <see cref="Done"/>.</summary>
    sealed class Writer
    {
        readonly List<byte> _bytes = [];

        public Writer(ushort type, int nlFlags, uint seq, int index, uint flags, uint change)
        {
            Span<byte> head = stackalloc byte[HeaderSize + InfoSize];
            BinaryPrimitives.WriteUInt16LittleEndian(head[4..], type);            // nlmsg_type
            BinaryPrimitives.WriteUInt16LittleEndian(head[6..], (ushort)nlFlags); // nlmsg_flags
            BinaryPrimitives.WriteUInt32LittleEndian(head[8..], seq);             // nlmsg_seq; nlmsg_pid 0: the kernel
            head[HeaderSize] = AF_UNSPEC;                                           // ifi_family, then pad and ifi_type 0
            BinaryPrimitives.WriteInt32LittleEndian(head[(HeaderSize + 4)..], index);   // ifi_index
            BinaryPrimitives.WriteUInt32LittleEndian(head[(HeaderSize + 8)..], flags);  // ifi_flags
            BinaryPrimitives.WriteUInt32LittleEndian(head[(HeaderSize + 12)..], change); // ifi_change
            _bytes.AddRange(head);
        }

        public void Text(ushort type, string text) => Bytes(type, [.. Encoding.ASCII.GetBytes(text), 0]);   // IFLA_IFNAME: NUL-terminated

        public void U32(ushort type, uint value)
        {
            Span<byte> v = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(v, value);
            Bytes(type, v);
        }

        public void Bytes(ushort type, ReadOnlySpan<byte> payload)
        {
            int start = Begin(type);
            _bytes.AddRange(payload);
            End(start, nested: false);
        }

        /// <summary>An attribute whose payload follows: returns where it starts, for <see cref="End"/>.</summary>
        public int Begin(ushort type)
        {
            int start = _bytes.Count;
            _bytes.AddRange([0, 0, (byte)type, (byte)(type >> 8)]);
            return start;
        }

        /// <summary>rta_len is the unpadded length; the next attribute starts 4-aligned.</summary>
        public void End(int start, bool nested = true)
        {
            int length = _bytes.Count - start;
            _bytes[start] = (byte)length;
            _bytes[start + 1] = (byte)(length >> 8);
            if (nested)
            {
                _bytes[start + 3] |= NLA_F_NESTED >> 8;
            }
            while (_bytes.Count % 4 != 0)
            {
                _bytes.Add(0);
            }
        }

        public byte[] Done()
        {
            byte[] message = [.. _bytes];
            BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)message.Length);   // nlmsg_len
            return message;
        }
    }
}
