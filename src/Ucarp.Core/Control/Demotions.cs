using System.Text;
using Ucarp.Core.Config;

namespace Ucarp.Core.Control;

/// <summary>
/// What ucarpctl's demote and promote have set, as --demotion-file keeps it across restarts
/// (a reload keeps it in memory). Without <see cref="All"/>, <see cref="Names"/> are the
/// demoted groups; after `demote --all`, every group is demoted, those a reload adds too,
/// except <see cref="Names"/>, promoted one by one since. The file is a few lines: "all",
/// "demoted NAME", "promoted NAME", and '#' comments.
/// </summary>
public sealed record Demotions(bool All, IReadOnlySet<string> Names)
{
    /// <summary>More than any file the daemon writes for 255 groups: a larger one is not read.</summary>
    public const int MaxBytes = 64 << 10;

    public static readonly Demotions None = new(false, new HashSet<string>(StringComparer.Ordinal));

    public bool IsDemoted(string group) => All != Names.Contains(group);

    /// <summary>From the demoted and promoted groups as they are now.</summary>
    public static Demotions Of(bool all, IEnumerable<(string Name, bool Demoted)> groups)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string name, bool demoted) in groups)
        {
            if (demoted != all)
            {
                names.Add(name);
            }
        }
        return new(all, names);
    }

    /// <summary><see cref="Names"/> in ordinal order, as the file and the log list them.</summary>
    public string[] SortedNames()
    {
        var sorted = new string[Names.Count];
        int i = 0;
        foreach (string name in Names)
        {
            sorted[i++] = name;
        }
        Array.Sort(sorted, StringComparer.Ordinal);
        return sorted;
    }

    public string Format()
    {
        var text = new StringBuilder("# ucarp --demotion-file: what ucarpctl demote and promote set, kept across restarts.\n"
                                     + "# Written by the daemon; change it with ucarpctl, not by hand.\n");
        if (All)
        {
            text.Append("all\n");
        }
        foreach (string name in SortedNames())
        {
            text.Append(All ? "promoted " : "demoted ").Append(name).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The file's demotions; lines that are none of its three forms are skipped, each with a problem (LINE: what).</summary>
    public static Demotions Parse(string text, out List<string> problems)
    {
        problems = [];
        bool all = false;
        var demoted = new HashSet<string>(StringComparer.Ordinal);
        var promoted = new HashSet<string>(StringComparer.Ordinal);
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            string[] words = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words is ["all"])
            {
                all = true;
            }
            else if (words is ["demoted" or "promoted", string name] && GroupOptions.IsValidName(name))
            {
                (words[0] == "demoted" ? demoted : promoted).Add(name);
            }
            else
            {
                problems.Add((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) + ": not a demotion, skipped: ["
                             + Logging.Printable.Cut(line, 64) + "]");
            }
        }
        return new Demotions(all, all ? promoted : demoted);
    }
}
