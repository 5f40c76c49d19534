using System.Globalization;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Keepalived;

/// <summary>A ucarp.conf group made from one vrrp_instance: its options, the comments above it, and why it is left out, if it is.</summary>
internal sealed class ConvertedGroup(string instance, KeepalivedSource where)
{
    public string Instance { get; } = instance;
    public KeepalivedSource Where { get; } = where;
    public string Name { get; set; } = instance;
    public List<string> Notes { get; } = [];
    public List<(string Option, string? Value)> Options { get; } = [];
    /// <summary>Why the group is printed commented out; null: it is a group of the file.</summary>
    public string? LeftOut { get; set; }

    public void Add(string option, string? value = null) => Options.Add((option, value));
}

/// <summary>What every instance may take from elsewhere in the file.</summary>
internal sealed class KeepalivedGlobals
{
    public int Version { get; set; } = 2;             // keepalived's default over IPv4
    public bool ChecksumRfc { get; set; }
    public string? GarpRefresh { get; set; }
    public string? Multicast4 { get; set; }
    public string? Multicast6 { get; set; }
    public string? DefaultInterface { get; set; }
}

/// <summary>
/// One vrrp_instance as a VRRP group: keepalived's keywords in its order (later ones win, as
/// there), then what keepalived derives at start (family, version, source address,
/// preemption rules) decided as keepalived decides it (vrrp.c: vrrp_complete_instance).
/// </summary>
internal sealed partial class KeepalivedInstance(KeepalivedNode node, KeepalivedGlobals globals, KeepalivedConversionContext context)
{
    readonly ConvertedGroup _group = new(node.Arg(0) ?? "", node.Where);
    string? _state, _interface, _vrid, _priority, _advertInt, _version, _source, _multicast, _preemptDelay, _garpRefresh, _authType, _authPass;
    KeepalivedSource _stateAt, _priorityAt;
    bool _nativeIpv6, _noPreempt, _ignoreLink, _vmac;
    string? _vmacName;
    KeepalivedSource _vmacAt;
    bool? _checksumRfc;
    readonly List<(string Address, string? Prefix, KeepalivedSource Where)> _addresses = [];
    readonly List<(string Address, KeepalivedSource Where)> _peers = [];
    KeepalivedNode? _trackScripts, _notifyMaster, _notifyBackup;

    public ConvertedGroup Convert()
    {
        foreach (KeepalivedNode child in node.Children)
        {
            Take(child);
        }
        Derive();
        return _group;
    }

    void NotConverted(KeepalivedSource where, string message) => context.NotConverted(where, message);

    void Take(KeepalivedNode n)
    {
        string? value = n.Arg(0);
        switch (n.Keyword)
        {
            case "state": _state = value; _stateAt = n.Where; break;
            case "interface": _interface = value; break;
            case "virtual_router_id": _vrid = value; break;
            case "priority": _priority = value; _priorityAt = n.Where; break;
            case "advert_int": _advertInt = value; break;
            case "version": _version = value; break;
            case "native_ipv6": _nativeIpv6 = true; break;
            case "unicast_src_ip" or "mcast_src_ip": _source = value; break;
            case "mcast_dst_ip": _multicast = value; break;
            case "nopreempt": _noPreempt = true; break;
            case "preempt": _noPreempt = false; break;
            case "preempt_delay": _preemptDelay = value; break;
            case "garp_master_refresh": _garpRefresh = value; break;
            case "dont_track_primary": _ignoreLink = true; break;
            case "use_vmac" when value is null || VmacOptions.IsValidName(value): _vmac = true; _vmacName = value; _vmacAt = n.Where; break;
            case "use_vmac": NotConverted(n.Where, Messages.VmacBadName(value!, VmacOptions.MaxNameLength)); break;
            case "v3_checksum_as_v2": _checksumRfc = value is null || value is "true" or "on" or "yes"; break;
            case "track_script": _trackScripts = n; break;
            case "notify_master": _notifyMaster = n; break;
            case "notify_backup": _notifyBackup = n; break;
            case "debug" or "accept": break;   // log detail; accept is keepalived's default without strict_mode
            case "garp_master_delay" when value == "5": break;   // what ucarp does: a second announcement 5 s after taking over
            case "authentication":
                foreach (KeepalivedNode a in n.Children)
                {
                    if (a.Keyword == "auth_type") { _authType = a.Arg(0); }
                    else if (a.Keyword == "auth_pass") { _authPass = a.Arg(0); }
                    else { NotConverted(a.Where, Messages.KeepalivedUnknown(a.Keyword, "authentication")); }
                }
                break;
            case "virtual_ipaddress":
                foreach (KeepalivedNode a in n.Children)
                {
                    VirtualAddress(a);
                }
                break;
            case "unicast_peer":
                foreach (KeepalivedNode p in n.Children)
                {
                    _peers.Add((p.Keyword, p.Where));
                    if (p.Args.Count > 0)
                    {
                        NotConverted(p.Where, Messages.KeepalivedPeerOptions(p.Keyword, string.Join(" ", p.Args)));
                    }
                }
                break;
            default:
                NotConverted(n.Where, Messages.KeepalivedInstanceKeyword(n.Keyword));
                break;
        }
    }

    /// <summary>One line of virtual_ipaddress: ADDRESS[/PREFIX] [dev IF] [scope S] [label L] [...].</summary>
    void VirtualAddress(KeepalivedNode a)
    {
        string[] parts = a.Keyword.Split('/', 2);
        if (!Inet.TryParse(parts[0], out _))
        {
            NotConverted(a.Where, Messages.KeepalivedBadAddress(a.Keyword));
            return;
        }
        for (int i = 0; i < a.Args.Count; i++)
        {
            string option = a.Args[i];
            string? arg = i + 1 < a.Args.Count ? a.Args[i + 1] : null;
            switch (option)
            {
                case "dev" when arg is not null:
                    i++;
                    if (arg != (_interface ?? globals.DefaultInterface))
                    {
                        NotConverted(a.Where, Messages.KeepalivedAddressOtherDev(parts[0], arg));
                        return;
                    }
                    break;
                case "scope" when arg is not null:
                    i++;
                    if (arg is not ("global" or "universe" or "0"))
                    {
                        NotConverted(a.Where, Messages.KeepalivedAddressOption(parts[0], "scope " + arg, Messages.KeepalivedScopeReason));
                    }
                    break;
                case "label" when arg is not null:
                    i++;
                    _group.Notes.Add(Messages.KeepalivedLabelNote(parts[0], arg));
                    break;
                case "no_track":
                    break;
                case "home" or "-nodad" or "mngtmpaddr" or "noprefixroute" or "autojoin" or "use_vmac":
                    NotConverted(a.Where, Messages.KeepalivedAddressOption(parts[0], option, Messages.KeepalivedAddressOptionReason));
                    break;
                case "brd" or "broadcast" or "peer" or "preferred_lft" or "track_group" when arg is not null:
                    i++;
                    NotConverted(a.Where, Messages.KeepalivedAddressOption(parts[0], option + " " + arg, Messages.KeepalivedAddressOptionReason));
                    break;
                default:
                    NotConverted(a.Where, Messages.KeepalivedAddressOption(parts[0], option, Messages.KeepalivedAddressUnknownReason));
                    break;
            }
        }
        _addresses.Add((parts[0], parts.Length > 1 ? parts[1] : null, a.Where));
    }

    void Derive()
    {
        ConvertedGroup g = _group;
        _interface ??= globals.DefaultInterface;
        if (_vrid is null || !uint.TryParse(_vrid, NumberStyles.None, CultureInfo.InvariantCulture, out uint vrid) || vrid is < 1 or > 255)
        {
            LeaveOut(Messages.KeepalivedNoVrid(_vrid));
        }
        if (_interface is null)
        {
            LeaveOut(Messages.KeepalivedNoInterface);
        }

        // The family: the source address's, else the first address's (keepalived moves the
        // other family's addresses to virtual_ipaddress_excluded: not advertised).
        bool v6 = _nativeIpv6;
        if (_source is not null && Inet.TryParse(_source, out IpAddress src))
        {
            v6 = src.IsV6;
        }
        else if (_addresses.Count > 0 && Inet.TryParse(_addresses[0].Address, out IpAddress first))
        {
            v6 = first.IsV6;
        }
        int version = _version is "2" or "3" ? _version[0] - '0' : globals.Version;
        if (v6 && version == 2)
        {
            g.Notes.Add(Messages.KeepalivedIpv6Version3);
            version = 3;
        }
        g.Add("--vrrp", version.ToString(CultureInfo.InvariantCulture));
        if (_interface is not null)
        {
            g.Add("-i", _interface);
        }
        Source(v6);
        if (_vrid is not null)
        {
            g.Add("-v", _vrid);
        }
        int priority = Priority();
        if (_advertInt is not null && AdvertInterval(_advertInt, version) is string advertInt)
        {
            g.Add("--advert-int", advertInt);
        }
        Authentication(version);
        Addresses(v6);
        foreach ((string peer, KeepalivedSource where) in _peers)
        {
            if (Inet.TryParse(peer, out IpAddress p) && p.IsV6 == v6)
            {
                g.Add("--peer", peer);
            }
            else
            {
                NotConverted(where, Messages.KeepalivedBadPeer(peer));
            }
        }
        // keepalived sends to its unicast peers only, whatever multicast group is set.
        if (_peers.Count == 0 && (_multicast ?? (v6 ? globals.Multicast6 : globals.Multicast4)) is string group)
        {
            g.Add("-m", group);
        }
        Preemption(priority);
        if (version == 3 && !v6 && (_checksumRfc ?? globals.ChecksumRfc))
        {
            g.Add("--vrrp-checksum=rfc");
        }
        if ((_garpRefresh ?? globals.GarpRefresh) is string refresh && refresh != "0")
        {
            g.Add("--garp-refresh", refresh);
        }
        if (_ignoreLink)
        {
            g.Add("-S");
        }
        if (_vmac && _peers.Count > 0)
        {
            // --vmac with --peer is refused; the rest of the instance converts.
            NotConverted(_vmacAt, Messages.KeepalivedVmacWithPeers);
        }
        else if (_vmac)
        {
            g.Add(_vmacName is null ? "--vmac" : "--vmac-name", _vmacName);
        }
        TrackScript(priority);
        Notify(_notifyMaster, "-u");
        Notify(_notifyBackup, "-d");
        if (context.SyncSetOf(g.Instance) is string sync)
        {
            g.Add("--sync", sync);
        }
        g.Add("--manage-addresses");
        g.Add("-z");
    }

    void LeaveOut(string reason)
    {
        if (_group.LeftOut is null)
        {
            _group.LeftOut = reason;
            NotConverted(_group.Where, Messages.KeepalivedInstanceLeftOut(_group.Instance, reason));
        }
    }
}
