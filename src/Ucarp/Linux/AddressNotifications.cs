using Ucarp.Core.Cli;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>One address the kernel says was added to or removed from an interface.</summary>
internal readonly record struct AddressChange(bool Added, int Index, IpAddress Address, int PrefixLength);

/// <summary>
/// The kernel's notifications of addresses added and removed (rtnetlink's IPv4 and IPv6
/// address groups), read without blocking: what --manage-addresses needs to notice another
/// program (`ip addr flush`, networkd, NetworkManager) changing a group's addresses.
/// </summary>
internal sealed class AddressNotifications : IDisposable
{
    // A datagram holds one message or a few; a notification is well under 256 bytes.
    const int BufferSize = 8192;

    readonly FileDescriptor _fd;
    readonly byte[] _buffer = new byte[BufferSize];

    AddressNotifications(FileDescriptor fd) => _fd = fd;

    public int Fd => _fd.Fd;

    public static bool TryOpen(out AddressNotifications? notifications, out SysError error)
    {
        notifications = NetlinkRoute.TrySubscribe(Libc.RTMGRP_IPV4_IFADDR | Libc.RTMGRP_IPV6_IFADDR, out FileDescriptor? socket, out error)
            ? new AddressNotifications(socket!) : null;
        return notifications is not null;
    }

    /// <summary>
    /// Reads the waiting notifications into <paramref name="changes"/> (cleared first).
    /// <paramref name="lost"/>: the kernel dropped some (its queue overflowed): what is on
    /// the interfaces must be looked at again rather than trusted.
    /// </summary>
    public unsafe void Read(List<AddressChange> changes, out bool lost)
    {
        changes.Clear();
        lost = false;
        // At most a bounded number of datagrams a turn: a storm of changes cannot hold the loop.
        for (int datagrams = 0; datagrams < 64; datagrams++)
        {
            nint received;
            fixed (byte* buffer = _buffer)
            {
                received = Libc.Recv(_fd.Fd, buffer, BufferSize, Libc.MSG_DONTWAIT);
            }
            if (received < 0)
            {
                int errno = Libc.LastErrno;
                if (errno == Libc.ENOBUFS)
                {
                    lost = true;
                    continue;
                }
                return;   // EAGAIN: nothing more (anything else: the next wake-up tries again)
            }
            Parse(_buffer.AsSpan(0, (int)received), changes);
        }
    }

    /// <summary>The address messages of one datagram; every length is checked, nothing trusted.</summary>
    internal static unsafe void Parse(ReadOnlySpan<byte> datagram, List<AddressChange> changes)
    {
        int offset = 0;
        while (datagram.Length - offset >= sizeof(NlMsgHdr))
        {
            NlMsgHdr header = System.Runtime.InteropServices.MemoryMarshal.Read<NlMsgHdr>(datagram[offset..]);
            if (header.Length < sizeof(NlMsgHdr) || header.Length > datagram.Length - offset)
            {
                return;
            }
            ReadOnlySpan<byte> message = datagram.Slice(offset + sizeof(NlMsgHdr), (int)header.Length - sizeof(NlMsgHdr));
            if ((header.Type == Libc.RTM_NEWADDR || header.Type == Libc.RTM_DELADDR) && message.Length >= sizeof(IfAddrMsg))
            {
                IfAddrMsg ifa = System.Runtime.InteropServices.MemoryMarshal.Read<IfAddrMsg>(message);
                if (Address(ifa, message[sizeof(IfAddrMsg)..]) is IpAddress address)
                {
                    changes.Add(new AddressChange(header.Type == Libc.RTM_NEWADDR, ifa.Index, address, ifa.PrefixLen));
                }
            }
            offset += (int)((header.Length + 3) & ~3u);
        }
    }

    /// <summary>The interface's own address of the message: IFA_LOCAL, else IFA_ADDRESS (IPv6 gives only that).</summary>
    static unsafe IpAddress? Address(IfAddrMsg ifa, ReadOnlySpan<byte> attributes)
    {
        int length = ifa.Family == Libc.AF_INET ? 4 : ifa.Family == Libc.AF_INET6 ? 16 : 0;
        if (length == 0)
        {
            return null;
        }
        IpAddress? address = null;
        while (attributes.Length >= sizeof(RtAttr))
        {
            RtAttr attr = System.Runtime.InteropServices.MemoryMarshal.Read<RtAttr>(attributes);
            if (attr.Length < sizeof(RtAttr) || attr.Length > attributes.Length)
            {
                break;
            }
            ReadOnlySpan<byte> payload = attributes.Slice(sizeof(RtAttr), attr.Length - sizeof(RtAttr));
            if ((attr.Type == Libc.IFA_LOCAL || (attr.Type == Libc.IFA_ADDRESS && address is null)) && payload.Length == length)
            {
                address = new IpAddress(payload);
            }
            int step = (attr.Length + 3) & ~3;
            if (step > attributes.Length)
            {
                break;
            }
            attributes = attributes[step..];
        }
        return address;
    }

    public void Dispose() => _fd.Dispose();
}
