using System.Globalization;
using System.Text;

namespace Ucarp.Core.Control;

/// <summary>One line of `ucarpctl watch`: a group as it is now, and the state it was in (null: first seen).</summary>
public sealed record WatchEvent(GroupStatus Group, string? Previous, long UnixMicros);

/// <summary>
/// What `ucarpctl watch` is told: every group's state when it connects, then a line each time
/// a group's state, master, health or place in the election changes, or the group leaves the
/// file (state REMOVED). The daemon hands it the rows of every pass while someone watches;
/// this decides what changed. Pure: the rows and the time come in, the events go out.
/// </summary>
public sealed class StateWatch
{
    public const string Removed = "REMOVED";

    /// <summary>What an event is raised for; "since" and the addresses alone are not.</summary>
    readonly record struct Key(string State, string? Master, bool InElection, string Health, string? Reason)
    {
        public static Key Of(GroupStatus g) => new(g.State, g.Master, g.InElection, g.Health, g.Reason);
    }

    readonly Dictionary<string, (Key Key, GroupStatus Row)> _last = new(StringComparer.Ordinal);

    /// <summary>Forgets what was seen: the next <see cref="Changes"/> starts from nothing (nobody watches).</summary>
    public void Reset() => _last.Clear();

    /// <summary>The groups as a new watcher first sees them: every row, with no previous state.</summary>
    public static IReadOnlyList<WatchEvent> Snapshot(IReadOnlyList<GroupStatus> rows, long unixMicros)
    {
        var events = new WatchEvent[rows.Count];
        for (int i = 0; i < events.Length; i++)
        {
            events[i] = new WatchEvent(rows[i], null, unixMicros);
        }
        return events;
    }

    /// <summary>The events since the last call, in the rows' order, then the groups that are gone.</summary>
    public IReadOnlyList<WatchEvent> Changes(IReadOnlyList<GroupStatus> rows, long unixMicros)
    {
        List<WatchEvent>? events = null;
        var present = new HashSet<string>(rows.Count, StringComparer.Ordinal);
        foreach (GroupStatus row in rows)
        {
            present.Add(row.Name);
            Key key = Key.Of(row);
            if (_last.TryGetValue(row.Name, out (Key Key, GroupStatus Row) before) && before.Key == key)
            {
                continue;
            }
            // A group first seen after the watch began (a reload added it) has no previous state.
            (events ??= []).Add(new WatchEvent(row, _last.ContainsKey(row.Name) ? before.Key.State : null, unixMicros));
            _last[row.Name] = (key, row);
        }
        var vanished = new List<string>();
        foreach (string name in _last.Keys)
        {
            if (!present.Contains(name))
            {
                vanished.Add(name);
            }
        }
        foreach (string name in vanished)
        {
            GroupStatus row = _last[name].Row;
            // Its last description, in state REMOVED: no master, out of the election (text and JSON are cut from it alike).
            GroupStatus gone = GroupStatus.Of(row.Full with { Removed = true, Master = null, InElection = false, ElectionReason = null });
            (events ??= []).Add(new WatchEvent(gone, row.State, unixMicros));
            _last.Remove(name);
        }
        return events ?? (IReadOnlyList<WatchEvent>)[];
    }

    /// <summary>
    /// Text: TIME NAME PREVIOUS -> STATE, then master=, health=, election= and, last (it may
    /// hold spaces), reason=. Every field before the reason is one word, for awk.
    /// </summary>
    public static string Text(WatchEvent e)
    {
        GroupStatus g = e.Group;
        var line = new StringBuilder(128)
            .Append(Time(e.UnixMicros)).Append(' ').Append(ControlStatus.Word(g.Name)).Append(' ')
            .Append(e.Previous ?? "-").Append(" -> ").Append(g.State)
            .Append(" master=").Append(ControlStatus.Word(g.Master))
            .Append(" health=").Append(ControlStatus.Word(g.Health))
            .Append(" election=").Append(g.InElection ? "in" : "out");
        if (g.Reason is not null)
        {
            line.Append(" reason=").Append(ControlStatus.OneLine(g.Reason));
        }
        return line.Append('\n').ToString();
    }

    /// <summary>JSON: one object a line, "time" and "previous", then status --json's keys (the state file's).</summary>
    public static string Json(WatchEvent e)
    {
        return Monitoring.StateDocument.GroupLine(new StringBuilder(1024), e.Group.Full,
            [("time", "\"" + Time(e.UnixMicros) + "\""), ("previous", Monitoring.StateDocument.Str(e.Previous))]).Append('\n').ToString();
    }

    /// <summary>ISO 8601 in UTC to the millisecond: failovers are timed from these lines.</summary>
    public static string Time(long unixMicros) =>
        DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(unixMicros / 1000, 0, 253_402_300_799_999))
            .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
