using System.Globalization;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Keepalived;

internal sealed partial class KeepalivedInstance
{
    /// <summary>
    /// -s: unicast_src_ip or mcast_src_ip, else what keepalived sends from, the interface's
    /// primary address (IPv6: its link-local one) on this host, asked of the caller.
    /// </summary>
    void Source(bool v6)
    {
        if (_source is not null && Inet.TryParse(_source, out IpAddress given) && given.IsV6 == v6)
        {
            _group.Add("-s", _source);
            return;
        }
        if (_interface is not null && context.InterfaceAddress(_interface, v6) is string found)
        {
            _group.Add("-s", found);
            _group.Notes.Add(Messages.KeepalivedSourceFromHost(_interface, found));
            return;
        }
        LeaveOut(Messages.KeepalivedNoSource(_interface ?? "?"));
    }

    /// <returns>The priority keepalived runs with (100 unless given right).</returns>
    int Priority()
    {
        if (_priority is null)
        {
            return 100;
        }
        if (!uint.TryParse(_priority, NumberStyles.None, CultureInfo.InvariantCulture, out uint p) || p is < 1 or > 255)
        {
            NotConverted(_priorityAt, Messages.KeepalivedBadPriority(_priority));
            return 100;
        }
        _group.Add("--priority", p.ToString(CultureInfo.InvariantCulture));
        return (int)p;
    }

    /// <summary>advert_int as keepalived takes it: 0.01 to 255 s, then whole seconds for version 2 and centiseconds (at most 40.95) for 3, rounded.</summary>
    string? AdvertInterval(string text, int version)
    {
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal seconds) || seconds < 0.01m || seconds > 255m)
        {
            NotConverted(node.Where, Messages.KeepalivedBadAdvertInt(text));
            return null;
        }
        decimal used = version == 2
            ? Math.Max(1m, Math.Min(255m, Math.Round(seconds, 0, MidpointRounding.AwayFromZero)))
            : Math.Max(0.01m, Math.Min(40.95m, Math.Round(seconds, 2, MidpointRounding.AwayFromZero)));
        string shown = used.ToString("0.##", CultureInfo.InvariantCulture);
        if (used != seconds)
        {
            _group.Notes.Add(Messages.KeepalivedAdvertIntRounded(text, shown, version));
        }
        return shown;
    }

    void Authentication(int version)
    {
        if (_authType is null)
        {
            return;
        }
        if (_authType == "AH")
        {
            NotConverted(node.Where, Messages.KeepalivedAuthAh);
            return;
        }
        if (_authType != "PASS" || string.IsNullOrEmpty(_authPass))
        {
            _group.Notes.Add(Messages.KeepalivedNoAuth(_authType));
            return;
        }
        if (version == 3)
        {
            _group.Notes.Add(Messages.KeepalivedAuthV3);
            return;
        }
        string pass = _authPass;
        if (pass.Length > VrrpOptions.MaxPasswordBytesV2)
        {
            pass = pass[..VrrpOptions.MaxPasswordBytesV2];
            _group.Notes.Add(Messages.KeepalivedPassTruncated(VrrpOptions.MaxPasswordBytesV2));
        }
        _group.Add("-p", pass);
    }

    void Addresses(bool v6)
    {
        var kept = new List<string>();
        var seen = new HashSet<IpAddress>();
        foreach ((string text, string? prefix, KeepalivedSource where) in _addresses)
        {
            Inet.TryParse(text, out IpAddress address);
            if (address.IsV6 != v6)
            {
                NotConverted(where, Messages.KeepalivedOtherFamily(text));
                continue;
            }
            if (!seen.Add(address))
            {
                _group.Notes.Add(Messages.KeepalivedDuplicateAddress(text));
                continue;
            }
            if (prefix is not null && prefix != (v6 ? "128" : "32"))
            {
                _group.Notes.Add(Messages.KeepalivedPrefixDropped(text, prefix, v6 ? 128 : 32));
            }
            kept.Add(text);
        }
        if (kept.Count == 0)
        {
            LeaveOut(Messages.KeepalivedNoAddress);
            return;
        }
        _group.Add("-a", kept[0]);
        for (int i = 1; i < kept.Count; i++)
        {
            _group.Add("--extra-addr", kept[i]);
        }
    }

    /// <summary>keepalived's rules (vrrp_complete_instance): MASTER and the owner ignore nopreempt, and preempt_delay needs preemption and BACKUP.</summary>
    void Preemption(int priority)
    {
        bool master = _state == "MASTER";
        if (_state is not (null or "MASTER" or "BACKUP"))
        {
            NotConverted(_stateAt, Messages.KeepalivedBadState(_state));
        }
        if (master && priority != VrrpOptions.OwnerPriority)
        {
            _group.Notes.Add(Messages.KeepalivedStateMaster);
        }
        bool noPreempt = _noPreempt && !master && priority != VrrpOptions.OwnerPriority;
        if (_noPreempt && !noPreempt)
        {
            _group.Notes.Add(Messages.KeepalivedIgnored("nopreempt", master ? "state MASTER" : "priority 255"));
        }
        if (noPreempt)
        {
            _group.Add("--no-preempt");
        }
        if (_preemptDelay is null)
        {
            return;
        }
        if (master || noPreempt)
        {
            _group.Notes.Add(Messages.KeepalivedIgnored("preempt_delay", master ? "state MASTER" : "nopreempt"));
        }
        else if (VrrpOptions.TryParseDelay(_preemptDelay, out _))
        {
            _group.Add("--preempt-delay", _preemptDelay);
        }
        else
        {
            NotConverted(node.Where, Messages.KeepalivedBadValue("preempt_delay", _preemptDelay, "--preempt-delay"));
        }
    }

    /// <summary>track_script: the first script it names that converts becomes --check; more are not converted.</summary>
    void TrackScript(int priority)
    {
        bool done = false;
        foreach (KeepalivedNode entry in _trackScripts?.Children ?? [])
        {
            if (!context.Scripts.TryGetValue(entry.Keyword, out KeepalivedNode? script))
            {
                NotConverted(entry.Where, Messages.KeepalivedNoSuchScript(entry.Keyword));
            }
            else if (done)
            {
                NotConverted(entry.Where, Messages.KeepalivedSecondScript(entry.Keyword));
            }
            else
            {
                done = new KeepalivedCheck(entry, script, _group, context).Convert(priority);
            }
        }
    }

    void Notify(KeepalivedNode? n, string option)
    {
        if (n is null)
        {
            return;
        }
        if (KeepalivedScripts.Read(n) is not { } read)
        {
            NotConverted(n.Where, Messages.KeepalivedUnreadableScript(n.Keyword));
            return;
        }
        (List<string> args, string? user) = read;
        if (user is not null)
        {
            NotConverted(n.Where, Messages.KeepalivedScriptUser(n.Keyword, user));
        }
        else if (args.Count > 1 || args[0].Length == 0)
        {
            NotConverted(n.Where, Messages.KeepalivedNotifyArguments(n.Keyword, option, KeepalivedScripts.ShellCommand(args)));
        }
        else
        {
            _group.Add(option, args[0]);
            _group.Notes.Add(Messages.KeepalivedNotifyNote(n.Keyword, option));
        }
    }
}
