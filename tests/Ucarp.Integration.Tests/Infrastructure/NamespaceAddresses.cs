using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>
/// The addresses on one interface of a network namespace, read over rtnetlink from this
/// process. Tests poll who holds an address every 20 ms; with `ip addr show` each poll was
/// a fork and exec, and with tests side by side those were most of the suite's CPU. The
/// netlink socket is made by a short-lived thread that entered the namespace (a socket
/// stays in the namespace it was made in), so the test process itself never moves.
/// </summary>
sealed class NamespaceAddresses : IDisposable
{
    const int AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16, SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000, NETLINK_ROUTE = 0;
    const int CLONE_NEWNET = 0x40000000, O_RDONLY = 0, O_CLOEXEC = 0x80000;
    const ushort RTM_NEWADDR = 20, RTM_GETADDR = 22, NLMSG_ERROR = 2, NLMSG_DONE = 3;
    const ushort NLM_F_REQUEST = 1, NLM_F_DUMP = 0x300;
    const ushort IFA_ADDRESS = 1, IFA_LOCAL = 2;

    readonly object _lock = new();
    readonly int _fd;
    readonly int _index;
    uint _sequence;

    public NamespaceAddresses(string ns, string interfaceName)
    {
        int fd = -1, index = 0;
        string? error = null;
        var thread = new Thread(() =>
        {
            int nsFd = Open("/run/netns/" + ns, O_RDONLY | O_CLOEXEC);
            if (nsFd < 0 || SetNs(nsFd, CLONE_NEWNET) != 0)
            {
                error = $"cannot enter namespace {ns}: errno {Marshal.GetLastPInvokeError()}";
            }
            else
            {
                fd = Socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
                index = (int)IfNameToIndex(interfaceName);
            }
            if (nsFd >= 0)
            {
                Close(nsFd);
            }
            // The thread ends here, inside the namespace: nothing else ever runs on it.
        });
        thread.Start();
        thread.Join();
        if (error is not null || fd < 0)
        {
            throw new InvalidOperationException(error ?? $"no netlink socket in {ns}");
        }
        _fd = fd;
        _index = index;
    }

    /// <summary>Whether the interface has <paramref name="address"/> (any prefix length).</summary>
    public bool Has(string address) => Current(IPAddress.Parse(address).AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        .Any(a => a.StartsWith(address + "/", StringComparison.Ordinal));

    /// <summary>The interface's addresses of one family, as "ADDRESS/PREFIX" (192.0.2.100/32).</summary>
    public List<string> Current(bool ipv6)
    {
        lock (_lock)
        {
            uint sequence = ++_sequence;
            // nlmsghdr (16 bytes) + ifaddrmsg (8 bytes): a dump of one family's addresses.
            byte[] request = new byte[24];
            BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(0), 24);
            BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(4), RTM_GETADDR);
            BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(6), NLM_F_REQUEST | NLM_F_DUMP);
            BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(8), sequence);
            request[16] = (byte)(ipv6 ? AF_INET6 : AF_INET);
            if (Send(_fd, request, request.Length, 0) != request.Length)
            {
                throw new InvalidOperationException($"netlink send failed: errno {Marshal.GetLastPInvokeError()}");
            }
            var found = new List<string>();
            byte[] buffer = new byte[32768];
            while (true)
            {
                long got = Recv(_fd, buffer, buffer.Length, 0);
                if (got <= 0)
                {
                    throw new InvalidOperationException($"netlink receive failed: errno {Marshal.GetLastPInvokeError()}");
                }
                for (int at = 0; at + 16 <= got;)
                {
                    int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(at));
                    ushort type = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(at + 4));
                    uint seq = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(at + 8));
                    if (length < 16 || at + length > got)
                    {
                        throw new InvalidOperationException("netlink: a truncated message");
                    }
                    if (seq == sequence)
                    {
                        if (type == NLMSG_DONE)
                        {
                            return found;
                        }
                        if (type == NLMSG_ERROR)
                        {
                            throw new InvalidOperationException("netlink: the address dump failed");
                        }
                        if (type == RTM_NEWADDR)
                        {
                            Parse(buffer.AsSpan(at + 16, length - 16), found);
                        }
                    }
                    at += (length + 3) & ~3;
                }
            }
        }
    }

    /// <summary>One RTM_NEWADDR: ifaddrmsg (family, prefix length, flags, scope, index), then attributes.</summary>
    void Parse(ReadOnlySpan<byte> message, List<string> found)
    {
        if (message.Length < 8 || (int)BinaryPrimitives.ReadUInt32LittleEndian(message[4..]) != _index)
        {
            return;
        }
        int prefix = message[1];
        byte[]? address = null, local = null;
        for (int at = 8; at + 4 <= message.Length;)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(message[at..]);
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(message[(at + 2)..]);
            if (length < 4 || at + length > message.Length)
            {
                break;
            }
            if (type == IFA_ADDRESS)
            {
                address = message.Slice(at + 4, length - 4).ToArray();
            }
            else if (type == IFA_LOCAL)
            {
                local = message.Slice(at + 4, length - 4).ToArray();
            }
            at += (length + 3) & ~3;
        }
        // IFA_LOCAL is the address itself; IFA_ADDRESS is the peer's on point-to-point links
        // (and the only one IPv6 sends).
        byte[]? own = local ?? address;
        if (own is { Length: 4 or 16 })
        {
            found.Add($"{new IPAddress(own)}/{prefix}");
        }
    }

    public void Dispose() => Close(_fd);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    static extern int SetNs(int fd, int type);

    [DllImport("libc", EntryPoint = "socket", SetLastError = true)]
    static extern int Socket(int domain, int type, int protocol);

    [DllImport("libc", EntryPoint = "if_nametoindex", SetLastError = true)]
    static extern uint IfNameToIndex(string name);

    [DllImport("libc", EntryPoint = "send", SetLastError = true)]
    static extern long Send(int fd, byte[] buffer, long length, int flags);

    [DllImport("libc", EntryPoint = "recv", SetLastError = true)]
    static extern long Recv(int fd, byte[] buffer, long length, int flags);

    [DllImport("libc", EntryPoint = "close")]
    static extern int Close(int fd);
}
