namespace Ucarp.Core.Control;

public enum ControlVerb { Status, Demote, Promote, Reload, Version, Watch }

/// <summary>
/// One ucarpctl command: `status [GROUP] [--json]`, `demote GROUP|--all [--wait]`, `promote GROUP|--all`,
/// `reload`, `version` (the daemon's), `watch [--json]`. ucarpctl parses its argv with <see cref="Parse"/>, the daemon the words of
/// the request line: one grammar for both sides.
/// </summary>
/// <param name="Group">demote/promote: the group, or null for --all; status: the one group shown, or null for all.</param>
/// <param name="Wait">demote --wait: answered once the groups have let their addresses go (downscripts done).</param>
public sealed record ControlCommand(ControlVerb Verb, bool Json = false, string? Group = null, bool Wait = false)
{
    /// <summary>A group name as the config file allows it (GroupOptions.IsValidName) fits in this.</summary>
    const int MaxWord = 64;

    /// <summary>The command, or null with a one-line reason (ucarpctl then prints its usage and exits 2).</summary>
    public static ControlCommand? Parse(IReadOnlyList<string> words, out string error)
    {
        error = "";
        if (words.Count == 0)
        {
            error = "no command given";
            return null;
        }
        string verb = words[0];
        int operands = words.Count - 1;
        switch (verb)
        {
            case "status":
            {
                bool json = false;
                string? group = null;
                for (int i = 1; i < words.Count; i++)
                {
                    string word = words[i];
                    if (word == "--json" && !json)
                    {
                        json = true;
                    }
                    else if (group is null && word != "--json" && Config.GroupOptions.IsValidName(word))
                    {
                        group = word;
                    }
                    else
                    {
                        error = "status takes a group name and --json, each at most once, not " + Shown(word);
                        return null;
                    }
                }
                return new ControlCommand(ControlVerb.Status, json, group);
            }
            case "reload":
            case "version":
            case "watch":
            {
                var plain = verb switch { "reload" => ControlVerb.Reload, "version" => ControlVerb.Version, _ => ControlVerb.Watch };
                if (operands == 0 || (operands == 1 && words[1] == "--json"))
                {
                    return new ControlCommand(plain, Json: operands == 1);
                }
                error = verb + " takes no argument but --json";
                return null;
            }
            case "demote":
            case "promote":
                var which = verb == "demote" ? ControlVerb.Demote : ControlVerb.Promote;
                // Counted over every word: words[0] is the verb, neither flag.
                int waits = Lists.Count(words, w => w == "--wait");
                int jsons = Lists.Count(words, w => w == "--json");
                bool wait = which == ControlVerb.Demote && waits > 0;
                bool asJson = jsons > 0;
                var targets = new List<string>();
                for (int i = 1; i < words.Count; i++)
                {
                    if (!(wait && words[i] == "--wait") && words[i] != "--json")
                    {
                        targets.Add(words[i]);
                    }
                }
                if (targets.Count != 1 || waits > (wait ? 1 : 0) || jsons > 1)
                {
                    error = verb + (which == ControlVerb.Demote ? " takes one group name or --all, and --wait, --json" : " takes one group name or --all, and --json");
                    return null;
                }
                if (targets[0] == "--all")
                {
                    return new ControlCommand(which, asJson, Wait: wait);
                }
                if (!Config.GroupOptions.IsValidName(targets[0]))
                {
                    error = "not a group name: " + Shown(targets[0]);
                    return null;
                }
                return new ControlCommand(which, asJson, targets[0], wait);
            default:
                error = "unknown command " + Shown(verb);
                return null;
        }
    }

    /// <summary>The words as ucarpctl sends them (group names never hold a space).</summary>
    public IReadOnlyList<string> Words() => Verb switch
    {
        ControlVerb.Status => ["status", .. Group is null ? Array.Empty<string>() : [Group], .. Json ? ["--json"] : Array.Empty<string>()],
        ControlVerb.Reload => Json ? ["reload", "--json"] : ["reload"],
        ControlVerb.Version => Json ? ["version", "--json"] : ["version"],
        ControlVerb.Watch => Json ? ["watch", "--json"] : ["watch"],
        _ => [Verb == ControlVerb.Demote ? "demote" : "promote", Group ?? "--all", .. Wait ? ["--wait"] : Array.Empty<string>(),
              .. Json ? ["--json"] : Array.Empty<string>()],
    };

    /// <summary>A word quoted for an error line, cut short and with control characters shown as '?'.</summary>
    static string Shown(string word)
    {
        return "[" + Logging.Printable.Cut(word, MaxWord) + "]";
    }
}
