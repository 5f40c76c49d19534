using Ucarp.Core.Cli;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Keepalived;

/// <summary>
/// The converted groups as a ucarp.conf(5) file: a header, then each group under a comment
/// naming its vrrp_instance and saying what differs, its options wrapped with backslashes. A
/// group left out is printed commented out, line for line, ready to be edited back in.
/// </summary>
internal static class KeepalivedOutput
{
    const int Width = 78;
    const string Indent = "      ";

    /// <param name="spans">Each group printed as a group (not left out): its first and last line.</param>
    /// <param name="header">The whole file (header, comments, groups left out); else the groups alone, for the reader.</param>
    /// <param name="configId">Said in the header when the file has "@ID" lines: the id they were read for.</param>
    public static string Render(IReadOnlyList<ConvertedGroup> groups, string shownAs, out List<(ConvertedGroup Group, int First, int Last)> spans, bool header,
                                string? configId = null)
    {
        var lines = new List<string>();
        spans = [];
        if (header)
        {
            lines.AddRange(Comment(Messages.KeepalivedHeader(shownAs, UsageText.Version)));
            lines.AddRange(Comment(Messages.KeepalivedHeaderCheck));
            if (configId is not null)
            {
                lines.AddRange(Comment(Messages.KeepalivedHeaderConfigId(configId)));
            }
            if (Lists.Any(groups, g => g.LeftOut is null && g.Options.Exists(o => o.Option == "-p")))
            {
                lines.AddRange(Comment(Messages.KeepalivedHeaderPassword));
            }
        }
        foreach (ConvertedGroup g in groups)
        {
            if (!header && g.LeftOut is not null)
            {
                continue;
            }
            if (header)
            {
                lines.Add("");
                lines.AddRange(Comment(Messages.KeepalivedGroupComment(g.Instance, g.Where.ToString(), g.LeftOut)));
                foreach (string note in g.Notes)
                {
                    lines.AddRange(Comment("- " + note, "  "));
                }
            }
            List<string> body = Wrap(Words(g));
            if (g.LeftOut is not null)
            {
                lines.AddRange(body.ConvertAll(l => "# " + Printable(l)));
                continue;
            }
            spans.Add((g, lines.Count + 1, lines.Count + body.Count));
            lines.AddRange(body);
        }
        return string.Join("\n", lines) + "\n";
    }

    static List<string> Words(ConvertedGroup g)
    {
        var words = new List<string> { "group", g.Name };
        foreach ((string option, string? value) in g.Options)
        {
            words.Add(value is null ? option : option.StartsWith("--", StringComparison.Ordinal) ? option + "=" + Quote(value) : option + " " + Quote(value));
        }
        return words;
    }

    /// <summary>Words joined into lines of at most <see cref="Width"/> characters where they fit, each but the last ending in a backslash.</summary>
    static List<string> Wrap(List<string> words)
    {
        var lines = new List<string>();
        var line = new System.Text.StringBuilder();
        bool empty = true;
        foreach (string word in words)
        {
            if (!empty && line.Length + 1 + word.Length + 2 > Width)
            {
                lines.Add(line + " \\");
                line.Clear().Append(Indent);
                empty = true;
            }
            line.Append(empty ? "" : " ").Append(word);
            empty = false;
        }
        lines.Add(line.ToString());
        return lines;
    }

    /// <summary>A word ucarp.conf's reader takes back as it is: bare when plain, else single-quoted.</summary>
    internal static string Quote(string value) =>
        value.Length > 0 && Lists.All(value, KeepalivedScripts.IsPlain) ? value : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>A comment, wrapped at the width (later lines hung by <paramref name="hang"/>), its control characters shown as '?'.</summary>
    static IEnumerable<string> Comment(string text, string hang = "")
    {
        var line = new System.Text.StringBuilder("#");
        bool empty = true;
        foreach (string word in Printable(text).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!empty && line.Length + 1 + word.Length > Width)
            {
                yield return line.ToString();
                line.Clear().Append('#').Append(' ').Append(hang);
                empty = true;
            }
            line.Append(empty && line.Length > 1 ? "" : " ").Append(word);
            empty = false;
        }
        yield return line.ToString();
    }

    static string Printable(string s) => Lists.Map(s, c => c < ' ' || c == '\u007f' ? '?' : c);
}
