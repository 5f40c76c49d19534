using System.Diagnostics.CodeAnalysis;
using Ucarp.Core.Cli;
using Ucarp.Core.Groups;
using Ucarp.Core.Wire;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Daemon;

/// <summary>
/// One packet socket and one kernel filter per interface and family, for every CARP group
/// on it (FreeBSD's carp_if): frames are read once and handed to the group their
/// destination and vhid name. The kernel filter lets in only the groups' vhids (see
/// <see cref="Rule"/>), so a flood of another vhid costs no wake-up; a frame for one of
/// them but another destination is counted here, once, instead of being looked at (and
/// logged) by every group. A plain command line's one group gets every frame the filter
/// lets in, as ucarp's capture does, so its log is ucarp's.
/// </summary>
internal sealed class InterfaceSocket : IDisposable
{
    readonly GroupTable<GroupRuntime> _table = new();
    readonly List<GroupRuntime> _groups = [];
    readonly Dictionary<IpAddress, int> _sources = [];
    readonly Action<InterfaceSocket> _closed;
    int _users;   // groups holding the socket: routed, prepared by a reload, or leaving

    InterfaceSocket(InterfaceEntry owner, PacketSocket socket, bool v6, bool dispatch, IpAddress firstSource, Action<InterfaceSocket> closed)
    {
        Owner = owner;
        _closed = closed;
        Socket = socket;
        IsV6 = v6;
        Dispatch = dispatch;
        _sources[firstSource] = 0;
    }

    public InterfaceEntry Owner { get; }
    public PacketSocket Socket { get; }
    public bool IsV6 { get; }
    /// <summary>False for a plain command line: its one group sees every frame.</summary>
    public bool Dispatch { get; }
    public IReadOnlyList<GroupRuntime> Groups => _groups;
    /// <summary>Some group still takes frames from it (not every one stopping).</summary>
    public bool Listening => Dispatch ? _table.Count > 0 : _groups.Count > 0 && !_groups[0].Stopping;
    /// <summary>Frames the filter let in (one of our vhids) for a destination no group of ours has, and frames too short to say.</summary>
    public long Unknown { get; private set; }

    /// <summary>This socket's index in the last ppoll set, or -1 (not polled, or polled by way of <see cref="Net.SocketReadiness"/>).</summary>
    public int PollIndex { get; set; } = -1;
    /// <summary>Whether the socket is watched at all: polled directly by the last wait, or registered in the readiness set (which a coalescing window rests; its end asks the set).</summary>
    public bool Polled => PollIndex >= 0 || WatchSlot >= 0;
    /// <summary>What the last wait reported for the socket (poll's bits).</summary>
    public short Revents { get; set; }
    /// <summary>Its slot in the readiness set while registered there, or -1.</summary>
    public int WatchSlot { get; set; } = -1;

    public static bool TryOpen(InterfaceEntry owner, IpAddress source, bool dispatch, int ringSlots, Action<InterfaceSocket> closed,
                               [NotNullWhen(true)] out InterfaceSocket? socket, out SysError error)
    {
        socket = PacketSocket.TryOpen(owner.Index, source, out PacketSocket? packets, out error, ringSlots: ringSlots)
            ? new InterfaceSocket(owner, packets, source.IsV6, dispatch, source, closed) : null;
        return socket is not null;
    }

    /// <summary>One more group holds the socket (it may not be routed yet).</summary>
    public void Retain() => _users++;

    /// <summary>A group lets the socket go: it is no longer routed, and the socket closes with its last holder.</summary>
    public void Drop(GroupRuntime? group)
    {
        if (group is not null)
        {
            Remove(group);
        }
        if (--_users == 0)
        {
            // Told first: the readiness set lets go of the descriptor before it is closed.
            _closed(this);
            Socket.Dispose();
        }
    }

    /// <summary>Routes the group's frames to it; false when <paramref name="holder"/> already has its destination and vhid.</summary>
    public bool TryRoute(GroupRuntime group, [NotNullWhen(false)] out GroupRuntime? holder)
    {
        holder = Dispatch ? _table.Add(group.AdvertDestination, group.Config.Vhid, group) : null;
        if (holder is not null)
        {
            return false;
        }
        _groups.Add(group);
        return true;
    }

    /// <summary>
    /// A routed group's source address and vhid join the filter's. False when the filter
    /// could not be replaced: the group runs regardless (the old filter stays, its own
    /// adverts are still dropped by PACKET_IGNORE_OUTGOING and its reader, and its vhid's
    /// frames are let in if the old filter was ucarp's rule alone).
    /// </summary>
    public bool TryAddSource(GroupRuntime group, out SysError filterError)
    {
        IpAddress source = group.Config.SourceAddress;
        _sources[source] = _sources.TryGetValue(source, out int users) ? users + 1 : 1;
        return TryRefilter(out filterError);
    }

    /// <summary>The kernel filter for the sources and vhids of the groups on the socket now.</summary>
    bool TryRefilter(out SysError error) => Socket.TrySetFilter(AdvertFilter.Build(IsV6, Sources(), Rule()), out error);

    /// <summary>
    /// Which vhids get in (AdvertFilter): a --config daemon's groups' (frames of another
    /// only added to <see cref="Unknown"/>); a plain command line's CARP group its own,
    /// and what ucarp logs before its vhid check, unless --debug, which logs every frame.
    /// </summary>
    FilterRule Rule()
    {
        if (!Dispatch)
        {
            return _groups.Count == 1 && _groups[0] is { Config.Vrrp: 0 } only && !only.Log.DebugEnabled
                ? FilterRule.PlainCarp(only.Config.Vhid, only.Config.Peers) : FilterRule.AnyVhid;
        }
        // Each vhid once, in the groups' order: the filter is rebuilt as each group joins,
        // and a list searched for each vhid made every rebuild quadratic in the groups.
        var vhids = new List<byte>(_groups.Count);
        Span<bool> seen = stackalloc bool[256];
        foreach (GroupRuntime g in _groups)
        {
            if (!seen[g.Config.Vhid])
            {
                seen[g.Config.Vhid] = true;
                vhids.Add(g.Config.Vhid);
            }
        }
        return FilterRule.Dispatch(vhids);
    }

    /// <summary>
    /// A stopping group gets no more frames, and its vhid is free for the group that takes
    /// its place; it keeps the socket (its bow-out leaves by it) until <see cref="Remove"/>.
    /// </summary>
    public void Unroute(GroupRuntime group)
    {
        if (Dispatch && _table.TryFind(group.AdvertDestination, group.Config.Vhid, out GroupRuntime? holder) && holder == group)
        {
            _table.Remove(group.AdvertDestination, group.Config.Vhid);
        }
    }

    /// <summary>The sources for the socket's filter, copied ([.. _sources.Keys] would be System.Linq's ToArray).</summary>
    IpAddress[] Sources()
    {
        var sources = new IpAddress[_sources.Count];
        _sources.Keys.CopyTo(sources, 0);
        return sources;
    }

    /// <summary>The group's frames and source address are no longer this socket's business.</summary>
    void Remove(GroupRuntime group)
    {
        Unroute(group);
        if (!_groups.Remove(group))
        {
            return;
        }
        IpAddress source = group.Config.SourceAddress;
        if (_sources.TryGetValue(source, out int users) && users <= 1)
        {
            _sources.Remove(source);
        }
        else if (users > 1)
        {
            _sources[source] = users - 1;
        }
        // Its vhid leaves the filter too; the last group's socket is closing.
        if (_groups.Count != 0)
        {
            TryRefilter(out _);
        }
    }

    /// <summary>The group a frame is for, or null (counted as unknown).</summary>
    public GroupRuntime? Route(ReadOnlySpan<byte> frame)
    {
        GroupRuntime? group = Find(frame);
        if (group is null && Dispatch)
        {
            Unknown++;
        }
        return group;
    }

    /// <summary><see cref="Route"/> without counting: a look ahead at a batch (InterfaceInput's prefetch).</summary>
    public GroupRuntime? Find(ReadOnlySpan<byte> frame)
    {
        if (!Dispatch)
        {
            return _groups.Count == 0 || _groups[0].Stopping ? null : _groups[0];
        }
        return AdvertRoute.TryRead(frame, IsV6, out IpAddress destination, out byte vhid) && _table.TryFind(destination, vhid, out GroupRuntime? group)
            ? group : null;
    }

    /// <summary>Scratch for InterfaceInput's look ahead at a batch: the group of each frame, cleared after.</summary>
    public GroupRuntime?[] Routed { get; } = new GroupRuntime?[PacketSocket.Batch];

    /// <summary>The daemon's end: closed whoever holds it.</summary>
    public void Dispose() => Socket.Dispose();
}
