using System.Globalization;
using System.Text;
using Ucarp.Core.Monitoring;

namespace Ucarp.Core.Control;

/// <summary>
/// `ucarpctl status` and `status --json` from the daemon's rows. Text: a header, then one
/// line per group in aligned columns, every field one word ("-" when empty) so awk's $1..$11
/// hold them; the reason a group is out of the election, which may hold spaces, comes last.
/// </summary>
public static class ControlStatus
{
    static readonly string[] Header =
        ["NAME", "INTERFACE", "VHID", "ADDRESSES", "STATE", "MASTER", "SINCE", "HEALTH", "ELECTION", "PROTOCOL", "PRIORITY", "REASON"];

    public static string Text(IReadOnlyList<GroupStatus> groups)
    {
        var rows = new List<string[]>(groups.Count + 1) { Header };
        foreach (GroupStatus g in groups)
        {
            rows.Add([Word(g.Name), Word(g.Interface), g.Vhid.ToString(CultureInfo.InvariantCulture),
                      Word(string.Join(',', g.Addresses)), Word(g.State), Word(g.Master), Word(Since(g.SinceUnixSeconds)),
                      Word(g.Health), g.InElection ? "in" : "out", Protocol(g.Full), Priority(g.Full), g.Reason is null ? "-" : OneLine(g.Reason)]);
        }
        int columns = Header.Length;
        int[] widths = new int[columns];
        foreach (string[] row in rows)
        {
            for (int i = 0; i < columns; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }
        var text = new StringBuilder(rows.Count * 96);
        foreach (string[] row in rows)
        {
            for (int i = 0; i < columns - 1; i++)
            {
                text.Append(row[i].PadRight(widths[i] + 2));
            }
            text.Append(row[columns - 1]).Append('\n');
        }
        return text.ToString();
    }

    public static string Json(IReadOnlyList<GroupStatus> groups)
    {
        var j = new StringBuilder(64 + groups.Count * 256);
        j.Append("{\"groups\":[");
        for (int i = 0; i < groups.Count; i++)
        {
            StateDocument.GroupLine(j.Append(i == 0 ? "\n" : ",\n"), groups[i].Full);
        }
        return j.Append("\n]}\n").ToString();
    }

    /// <summary>
    /// Any other command's answer with --json: its exit status and its lines, as the text
    /// reply has them: {"exit":1,"lines":["ucarp.conf:4: ...", "..."]}.
    /// </summary>
    public static string Reply(int exitCode, string body) =>
        "{\"exit\":" + exitCode.ToString(CultureInfo.InvariantCulture) + ",\"lines\":["
        + string.Join(",", Array.ConvertAll(body.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => StateDocument.Str(l))) + "]}\n";

    /// <summary>How the group elects: carp, vrrp2, vrrp3, etcd or follow.</summary>
    static string Protocol(StatusSnapshot s) => s.Vrrp is VrrpView v ? "vrrp" + v.Version.ToString(CultureInfo.InvariantCulture) : Word(s.Mode);

    /// <summary>A VRRP group's priority in use and the master's as last heard ("200/255", "200/-" when no master is known); "-" for the others.</summary>
    static string Priority(StatusSnapshot s) =>
        s.Vrrp is VrrpView v
            ? v.PriorityInUse.ToString(CultureInfo.InvariantCulture) + "/" + (v.MasterPriority is byte m ? m.ToString(CultureInfo.InvariantCulture) : "-")
            : "-";

    /// <summary>ISO 8601 in UTC to the second, or null for a time no calendar holds.</summary>
    public static string? Since(long unixSeconds) =>
        unixSeconds is < 0 or > 253_402_300_799 ? null
            : DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>One column's word: spaces and control characters become '?', nothing becomes "-".</summary>
    internal static string Word(string? text) =>
        string.IsNullOrEmpty(text) ? "-" : Lists.Map(text, c => char.IsWhiteSpace(c) || char.IsControl(c) ? '?' : c);

    internal static string OneLine(string text) => Lists.Map(text, c => char.IsControl(c) ? '?' : c);
}
