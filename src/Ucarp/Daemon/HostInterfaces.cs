using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Daemon;

/// <summary>One interface the daemon's groups use: found once, its sockets shared.</summary>
internal sealed class InterfaceEntry(string name, int index, byte[] mac)
{
    public string Name { get; } = name;
    public byte[] NameBytes { get; } = CStrings.Bytes(name);
    public int Index { get; } = index;
    public byte[] Mac { get; } = mac;
    public InterfaceSocket? V4 { get; set; }
    public InterfaceSocket? V6 { get; set; }
    /// <summary>The send-only sockets of the etcd groups (announcements), one per family for all of them.</summary>
    public SendSocket? SenderV4 { get; set; }
    public SendSocket? SenderV6 { get; set; }
    /// <summary>ucarp's view of the carrier (IFF_RUNNING), for the groups without -S.</summary>
    public bool LinkDown { get; set; }
    /// <summary>Gone or taken down while groups ran on it: kept only until they have let go, never used again.</summary>
    public bool Lost { get; set; }
}

/// <summary>A send-only packet socket shared by the etcd groups of one interface and family (a thousand groups, one descriptor).</summary>
internal sealed class SendSocket(InterfaceEntry owner, bool v6, PacketSocket socket)
{
    int _users;

    public PacketSocket Socket { get; } = socket;

    public void Retain() => _users++;

    public void Drop()
    {
        if (--_users > 0)
        {
            return;
        }
        if (v6)
        {
            owner.SenderV6 = null;
        }
        else
        {
            owner.SenderV4 = null;
        }
        Socket.Dispose();
    }
}

/// <summary>
/// The interfaces of the daemon's groups, and the packet socket that serves every
/// interface ioctl (it receives nothing: fillmac.c's socket).
/// </summary>
internal sealed class HostInterfaces(FileDescriptor control, bool dispatch) : IDisposable
{
    readonly Dictionary<string, InterfaceEntry> _entries = new(StringComparer.Ordinal);

    readonly List<InterfaceSocket> _sockets = [];

    public FileDescriptor Control { get; } = control;
    /// <summary>The groups' --vmac children.</summary>
    public VirtualMacs Vmacs { get; } = new();
    /// <summary>The adverts the groups' timers send in one pass, sent together per socket.</summary>
    public Net.AdvertBatch Adverts { get; } = new();
    public Dictionary<string, InterfaceEntry>.ValueCollection Entries => _entries.Values;
    /// <summary>Every open receiving socket, as a list: the event loop walks it on every wake-up.</summary>
    public List<InterfaceSocket> Sockets => _sockets;
    /// <summary>A --config daemon's sockets behind one polled descriptor; null for a plain command line (or no epoll).</summary>
    public Net.SocketReadiness? Readiness { get; } = dispatch ? Net.SocketReadiness.TryCreate() : null;

    /// <summary>
    /// The interface by name, looked up as ucarp does at start-up (MAC, index, up), with
    /// ucarp's messages; null after logging why (the start fails with status 2).
    /// </summary>
    public InterfaceEntry? Find(string iface, ILog log)
    {
        if (_entries.TryGetValue(iface, out InterfaceEntry? known))
        {
            return known;
        }
        if (!InterfaceInfo.TryHardwareAddress(Control, iface, out byte[]? mac, out ushort hardwareType, out SysError macError))
        {
            log.Write(LogLevel.Error, macError == InterfaceInfo.NameTooLong ? Messages.InterfaceNameTooLong : Messages.HardwareInfo(macError.Text));
            log.Write(LogLevel.Error, Messages.NoMacAddress(iface));
            return null;
        }
        if (hardwareType != Libc.ARPHRD_ETHER && hardwareType != Libc.ARPHRD_IEEE802)
        {
            log.Write(LogLevel.Error, Messages.UnknownHardwareType(hardwareType));
        }
        log.Write(LogLevel.Info, Messages.LocalMac(mac));

        bool indexed = InterfaceInfo.TryIndex(Control, iface, out int ifIndex, out SysError indexError);
        string openError = indexed ? "" : indexError.Text;
        if (indexed && InterfaceInfo.TryFlags(Control, iface, out short flags) && (flags & Libc.IFF_UP) == 0)
        {
            // libpcap refuses a device that is administratively down, and so does ucarp.
            indexed = false;
            openError = Messages.DeviceNotUp(iface);
        }
        if (!indexed)
        {
            log.Write(LogLevel.Error, Messages.OpenInterface(iface, openError));
            return null;
        }
        var entry = new InterfaceEntry(iface, ifIndex, mac);
        _entries.Add(iface, entry);
        return entry;
    }

    /// <summary>An interface lost while groups ran on it, not yet forgotten: groups that start on it wait.</summary>
    public bool IsLost(string iface) => _entries.TryGetValue(iface, out InterfaceEntry? entry) && entry.Lost;

    /// <summary>
    /// Frames a receiving socket's ring holds, for sockets opened from now on: set from the
    /// file's groups when they start (<see cref="Linux.ReceiveRing.SlotsFor"/>). A socket
    /// keeps its ring for its life; a reload does not resize it.
    /// </summary>
    public int RingSlots { get; set; } = Linux.ReceiveRing.InStep;

    /// <summary>
    /// The shared receiving socket of the interface for the source's family, opened with
    /// the first group; the caller holds it (<see cref="InterfaceSocket.Drop"/> lets it go).
    /// </summary>
    public InterfaceSocket? Socket(InterfaceEntry entry, IpAddress source, ILog log)
    {
        InterfaceSocket? socket = source.IsV6 ? entry.V6 : entry.V4;
        if (socket is null)
        {
            if (!InterfaceSocket.TryOpen(entry, source, dispatch, RingSlots, Closed, out socket, out SysError error))
            {
                log.Write(LogLevel.Error, Messages.OpenInterface(entry.Name, error.Perror));
                return null;
            }
            if (source.IsV6)
            {
                entry.V6 = socket;
            }
            else
            {
                entry.V4 = socket;
            }
            _sockets.Add(socket);
        }
        socket.Retain();
        return socket;
    }

    /// <summary>The interface's send-only socket for <paramref name="source"/>'s family (etcd groups), opened for the first; null after logging why.</summary>
    public SendSocket? Sender(InterfaceEntry entry, IpAddress source, ILog log)
    {
        SendSocket? sender = source.IsV6 ? entry.SenderV6 : entry.SenderV4;
        if (sender is null)
        {
            // With etcd the socket only sends the announcements: it receives nothing.
            if (!PacketSocket.TryOpen(entry.Index, source, out PacketSocket? socket, out SysError error, receive: false))
            {
                log.Write(LogLevel.Error, Messages.OpenInterface(entry.Name, error.Perror));
                return null;
            }
            sender = new SendSocket(entry, source.IsV6, socket);
            if (source.IsV6)
            {
                entry.SenderV6 = sender;
            }
            else
            {
                entry.SenderV4 = sender;
            }
        }
        sender.Retain();
        return sender;
    }

    void Closed(InterfaceSocket socket)
    {
        Readiness?.Forget(socket);
        _sockets.Remove(socket);
        InterfaceEntry entry = socket.Owner;
        if (entry.V4 == socket)
        {
            entry.V4 = null;
        }
        if (entry.V6 == socket)
        {
            entry.V6 = null;
        }
    }

    /// <summary>
    /// Forgets the interfaces no group uses any more (their sockets are closed by then):
    /// the next group on one looks it up afresh (index, MAC), as at start-up.
    /// </summary>
    public void ForgetUnused(List<GroupRuntime> groups)
    {
        var used = new HashSet<InterfaceEntry>();
        foreach (GroupRuntime g in groups)
        {
            used.Add(g.Interface);
        }
        var unused = new List<InterfaceEntry>();
        foreach (InterfaceEntry e in _entries.Values)
        {
            if (!used.Contains(e) && e.V4 is null && e.V6 is null && e.SenderV4 is null && e.SenderV6 is null)
            {
                unused.Add(e);
            }
        }
        foreach (InterfaceEntry entry in unused)
        {
            _entries.Remove(entry.Name);
        }
    }

    public void Dispose()
    {
        // Released by their groups already, unless the daemon ended in a hurry.
        Vmacs.RemoveAll(null);
        foreach (InterfaceEntry entry in _entries.Values)
        {
            entry.V4?.Dispose();
            entry.V6?.Dispose();
            entry.SenderV4?.Socket.Dispose();
            entry.SenderV6?.Socket.Dispose();
        }
        _entries.Clear();
        _sockets.Clear();
        Adverts.Dispose();
        Readiness?.Dispose();
    }
}
