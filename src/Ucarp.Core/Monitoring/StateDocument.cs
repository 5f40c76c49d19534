using System.Globalization;
using System.Text;

namespace Ucarp.Core.Monitoring;

/// <summary>
/// The --state-file JSON document. Written by hand rather than with a serializer: the
/// shape is fixed and small, and the daemon stays free of reflection and of a JSON
/// library's start-up cost. Keys are documented in the man page (STATE FILE).
/// </summary>
public static class StateDocument
{
    /// <summary>A plain command line: one object, the group's keys with pid and updated.</summary>
    public static string Build(StatusSnapshot s)
    {
        var j = new StringBuilder(1024);
        List<(string, string)> fields = GroupFields(s, "  ");
        fields.Add(("pid", Num(s.Pid)));
        fields.Add(("updated", Str(Timestamp(s.NowUnixMicros))));
        Object(j, fields, "");
        return j.Append('\n').ToString();
    }

    /// <summary>
    /// --config mode: <c>{"groups": [...], "pid": N, "updated": T}</c>, each group the keys a
    /// plain command line's file has, "name" first, pid and updated once for the process.
    /// </summary>
    public static string Build(IReadOnlyList<StatusSnapshot> groups, int pid, long nowUnixMicros)
    {
        var j = new StringBuilder(1024 * (groups.Count + 1));
        j.Append("{\n  \"groups\": [");
        for (int i = 0; i < groups.Count; i++)
        {
            j.Append(i == 0 ? "\n    " : ",\n    ");
            List<(string, string)> fields = GroupFields(groups[i], "      ");
            fields.Insert(0, ("name", Str(groups[i].Name)));
            Object(j, fields, "    ");
        }
        j.Append(groups.Count == 0 ? "],\n" : "\n  ],\n");
        j.Append("  ").Append(Pair("pid", Num(pid))).Append(",\n");
        j.Append("  ").Append(Pair("updated", Str(Timestamp(nowUnixMicros)))).Append("\n}\n");
        return j.ToString();
    }

    /// <summary>One group's keys, in the documented order; <paramref name="indent"/> is theirs (for the nested counters).</summary>
    static List<(string, string)> GroupFields(StatusSnapshot s, string indent) =>
    [
        ("state", Str(s.StateName)),
        ("in_election", Bool(s.InElection)),
        ("election_reason", Str(s.ElectionReason)),
        ("link", Str(s.LinkUp ? "up" : "down")),
        ("since", Str(Timestamp(s.SinceUnixMicros))),
        ("interface", Str(s.Interface)),
        ("vhid", Num(s.Vhid)),
        ("virtual_address", Str(s.VirtualAddress)),
        ("source_address", Str(s.Source.ToString())),
        ("advbase", Num(s.AdvBase)),
        ("advskew", Num(s.AdvSkew)),
        ("advskew_in_use", Num(s.AdvSkewInUse)),
        ("advskew_reason", Str(s.Skew?.Why)),
        ("preempt", Bool(s.Preempt)),
        ("master", Str(s.Master?.ToString())),
        ("health_check", s.Health is null ? "null" : Health(s.Health)),
        ("counters", Counters(s, indent)),
    ];

    /// <summary>An object whose keys sit one level (two spaces) inside <paramref name="indent"/>, its closing brace at it.</summary>
    static void Object(StringBuilder j, List<(string Key, string Value)> fields, string indent)
    {
        j.Append("{\n");
        for (int i = 0; i < fields.Count; i++)
        {
            j.Append(indent).Append("  ").Append(Pair(fields[i].Key, fields[i].Value)).Append(i == fields.Count - 1 ? "\n" : ",\n");
        }
        j.Append(indent).Append('}');
    }

    static string Health(HealthSnapshot h) =>
        "{ " + string.Join(", ",
            Pair("command", Str(h.Command)),
            Pair("status", Str(h.Passing ? "passing" : "failing")),
            Pair("last_result", Str(h.LastPassed is null ? null : h.LastPassed.Value ? "pass" : "fail")),
            Pair("consecutive_passes", Num(h.ConsecutivePasses)),
            Pair("consecutive_failures", Num(h.ConsecutiveFailures)),
            Pair("runs", Num(h.Runs)),
            Pair("failures", Num(h.Failures)),
            Pair("weight", h.Weight == 0 ? "null" : Num(h.Weight))) + " }";

    static string Counters(StatusSnapshot s, string indent)
    {
        string rejected = "{ " + string.Join(", ", StatusSnapshot.RejectionNames.Select(r => Pair(r.Name, Num(s.RejectedFor(r.Reason))))) + " }";
        string inner = indent + "  ";
        return "{\n" + string.Join(",\n",
            inner + Pair("transitions", Num(s.Transitions)),
            inner + Pair("adverts_sent", Num(s.AdvertsSent)),
            inner + Pair("advert_send_errors", Num(s.AdvertSendErrors)),
            inner + Pair("adverts_received", Num(s.AdvertsReceived)),
            inner + Pair("scripts_run", Num(s.ScriptRuns)),
            inner + Pair("script_failures", Num(s.ScriptFailures)),
            inner + Pair("rejected", rejected)) + "\n" + indent + "}";
    }

    static string Pair(string key, string value) => Str(key) + ": " + value;

    static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    static string Bool(bool b) => b ? "true" : "false";

    /// <summary>ISO 8601 in UTC with microseconds, as jq's and date's parsers read it.</summary>
    public static string Timestamp(long unixMicros) =>
        DateTimeOffset.UnixEpoch.AddTicks(unixMicros * 10).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A JSON string (RFC 8259 escaping), or null.</summary>
    public static string Str(string? text)
    {
        if (text is null)
        {
            return "null";
        }
        var b = new StringBuilder(text.Length + 2).Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        b.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        b.Append(c);
                    }
                    break;
            }
        }
        return b.Append('"').ToString();
    }
}
