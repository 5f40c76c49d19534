using System.Globalization;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Keepalived;

/// <summary>
/// One track_script entry and its vrrp_script as --check and its options. keepalived's
/// defaults differ from ours (interval 1 s, fall 1, rise 1; ours 2, 2, 2), so those are
/// always written. Its weight: 0 takes the instance out (FAULT) while the script fails, as
/// a --check without a weight does; -N lowers the priority by N, as --check-weight=N does;
/// +N raises it by N while the script succeeds (to at most 254), which is --priority=P+N
/// with --check-weight=N: the same two priorities.
/// </summary>
internal sealed class KeepalivedCheck(KeepalivedNode entry, KeepalivedNode script, ConvertedGroup group, KeepalivedConversionContext context)
{
    /// <returns>True when the script became --check (a further tracked script then does not).</returns>
    public bool Convert(int priority)
    {
        KeepalivedNode? command = null;
        string? interval = null, timeout = null, fall = null, rise = null, weight = null, reverse = null;
        KeepalivedSource weightAt = script.Where;
        bool initFail = false;
        foreach (KeepalivedNode n in script.Children)
        {
            switch (n.Keyword)
            {
                case "script": command = n; break;
                case "interval": interval = n.Arg(0); break;
                case "timeout": timeout = n.Arg(0); break;
                case "fall": fall = n.Arg(0); break;
                case "rise": rise = n.Arg(0); break;
                case "weight": weight = n.Arg(0); reverse = n.Arg(1); weightAt = n.Where; break;
                case "init_fail": initFail = true; break;
                default: context.NotConverted(n.Where, Messages.KeepalivedScriptKeyword(n.Keyword)); break;
            }
        }
        if (entry.Arg(0) == "weight")
        {
            (weight, reverse, weightAt) = (entry.Arg(1), entry.Arg(2), entry.Where);
        }
        if (command is null)
        {
            context.NotConverted(script.Where, Messages.KeepalivedNoScript(script.Arg(0) ?? ""));
            return false;
        }
        if (KeepalivedScripts.Read(command) is not { } read)
        {
            context.NotConverted(command.Where, Messages.KeepalivedUnreadableScript("script"));
            return false;
        }
        if (read.User is not null)
        {
            context.NotConverted(command.Where, Messages.KeepalivedScriptUser("script", read.User));
        }
        if (reverse is not null)
        {
            context.NotConverted(weightAt, Messages.KeepalivedWeightReverse);
            return false;
        }
        int w = 0;
        if (weight is not null && !int.TryParse(weight, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out w) || w is < -253 or > 253)
        {
            context.NotConverted(weightAt, Messages.KeepalivedBadValue("weight", weight!, "--check-weight"));
            return false;
        }
        if (w != 0 && priority == VrrpOptions.OwnerPriority)
        {
            context.NotConverted(weightAt, Messages.KeepalivedOwnerWeight);
            return false;
        }
        var options = new List<(string, string?)> { ("--check", KeepalivedScripts.ShellCommand(read.Args)) };
        if (!Timing(options, "--check-interval", interval ?? "1", script) || timeout is not null && !Timing(options, "--check-timeout", timeout, script)
            || !Count(options, "--check-fall", fall ?? "1", script) || !Count(options, "--check-rise", rise ?? "1", script))
        {
            return false;
        }
        if (w < 0)
        {
            options.Add(("--check-weight", (-w).ToString(CultureInfo.InvariantCulture)));
        }
        else if (w > 0)
        {
            int raised = Math.Min(priority + w, VrrpOptions.OwnerPriority - 1);
            if (raised == priority)
            {
                group.Notes.Add(Messages.KeepalivedWeightNoEffect(script.Arg(0) ?? "", w, priority));
                return false;
            }
            SetPriority(raised);
            options.Add(("--check-weight", (raised - priority).ToString(CultureInfo.InvariantCulture)));
            group.Notes.Add(Messages.KeepalivedWeightRaised(script.Arg(0) ?? "", w, priority, raised));
        }
        if (!initFail)
        {
            group.Notes.Add(Messages.KeepalivedCheckStartsFailing(script.Arg(0) ?? ""));
        }
        group.Options.AddRange(options);
        return true;
    }

    void SetPriority(int value)
    {
        var option = ("--priority", (string?)value.ToString(CultureInfo.InvariantCulture));
        int at = group.Options.FindIndex(o => o.Option == "--priority");
        if (at >= 0)
        {
            group.Options[at] = option;
        }
        else
        {
            group.Options.Insert(group.Options.FindIndex(o => o.Option == "-v") + 1, option);
        }
    }

    bool Timing(List<(string, string?)> options, string option, string value, KeepalivedNode at)
    {
        if (!HandoverOptions.TryParseSeconds(value, out _))
        {
            context.NotConverted(at.Where, Messages.KeepalivedBadValue(option[8..], value, option));
            return false;
        }
        options.Add((option, value));
        return true;
    }

    bool Count(List<(string, string?)> options, string option, string value, KeepalivedNode at)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n is < 1 or > 1000)
        {
            context.NotConverted(at.Where, Messages.KeepalivedBadValue(option[8..], value, option));
            return false;
        }
        options.Add((option, value));
        return true;
    }
}
