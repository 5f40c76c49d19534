using System.Globalization;
using System.Text;

namespace Ucarp.Core.Monitoring;

/// <summary>
/// systemd's STATUS= in --config mode: how many groups hold each role, e.g.
/// "3 groups: 2 MASTER, 1 BACKUP". Roles appear in a fixed order and only when some group holds them.
/// </summary>
public static class StatusSummary
{
    static readonly string[] Order = ["MASTER", "BACKUP", "INIT", "WAITING", "STOPPED"];

    /// <param name="states">Each group's <see cref="StatusSnapshot.StateName"/>.</param>
    public static string Line(IReadOnlyList<string> states)
    {
        var line = new StringBuilder(64).Append(states.Count.ToString(CultureInfo.InvariantCulture))
                                        .Append(states.Count == 1 ? " group" : " groups");
        // The fixed order, then any other state in the order first seen.
        var shown = new List<string>(Order);
        var seen = new HashSet<string>(Order, StringComparer.Ordinal);
        foreach (string state in states)
        {
            if (seen.Add(state))
            {
                shown.Add(state);
            }
        }
        string separator = ": ";
        foreach (string state in shown)
        {
            int count = Lists.Count(states, s => s == state);
            if (count != 0)
            {
                line.Append(separator).Append(count.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(state);
                separator = ", ";
            }
        }
        return line.ToString();
    }
}
