namespace Ucarp.Core.Control;

public enum ControlVerb { Status, Demote, Promote, Reload }

/// <summary>
/// One ucarpctl command: `status [--json]`, `demote GROUP|--all`, `promote GROUP|--all`,
/// `reload`. ucarpctl parses its argv with <see cref="Parse"/>, the daemon the words of
/// the request line: one grammar for both sides.
/// </summary>
/// <param name="Group">demote/promote: the group, or null for --all.</param>
public sealed record ControlCommand(ControlVerb Verb, bool Json = false, string? Group = null)
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
                if (operands == 0)
                {
                    return new ControlCommand(ControlVerb.Status);
                }
                if (operands == 1 && words[1] == "--json")
                {
                    return new ControlCommand(ControlVerb.Status, Json: true);
                }
                error = "status takes only --json, not " + Shown(words[1]);
                return null;
            case "reload":
                if (operands == 0)
                {
                    return new ControlCommand(ControlVerb.Reload);
                }
                error = "reload takes no argument";
                return null;
            case "demote":
            case "promote":
                var which = verb == "demote" ? ControlVerb.Demote : ControlVerb.Promote;
                if (operands != 1)
                {
                    error = verb + " takes one group name or --all";
                    return null;
                }
                if (words[1] == "--all")
                {
                    return new ControlCommand(which);
                }
                if (!Config.GroupOptions.IsValidName(words[1]))
                {
                    error = "not a group name: " + Shown(words[1]);
                    return null;
                }
                return new ControlCommand(which, Group: words[1]);
            default:
                error = "unknown command " + Shown(verb);
                return null;
        }
    }

    /// <summary>The words as ucarpctl sends them (group names never hold a space).</summary>
    public IReadOnlyList<string> Words() => Verb switch
    {
        ControlVerb.Status => Json ? ["status", "--json"] : ["status"],
        ControlVerb.Reload => ["reload"],
        ControlVerb.Demote => ["demote", Group ?? "--all"],
        _ => ["promote", Group ?? "--all"],
    };

    /// <summary>A word quoted for an error line, cut short and with control characters shown as '?'.</summary>
    static string Shown(string word)
    {
        return "[" + Logging.Printable.Cut(word, MaxWord) + "]";
    }
}
