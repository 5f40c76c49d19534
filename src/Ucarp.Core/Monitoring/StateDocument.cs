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

    /// <summary>
    /// One group on one line, "name" first: the object `ucarpctl status --json` lists and
    /// `watch --json` sends, with the state file's keys, names and precision.
    /// </summary>
    public static StringBuilder GroupLine(StringBuilder j, StatusSnapshot s, IEnumerable<(string Key, string Value)>? before = null)
    {
        List<(string Key, string Value)> fields = [.. before ?? [], ("name", Str(s.Name)), .. GroupFields(s, null)];
        j.Append('{');
        for (int i = 0; i < fields.Count; i++)
        {
            j.Append(i == 0 ? "" : ",").Append(Str(fields[i].Key)).Append(':').Append(fields[i].Value);
        }
        return j.Append('}');
    }

    /// <summary>
    /// One group's keys, in the documented order; <paramref name="indent"/> is theirs (for
    /// the nested counters), null for one line.
    /// </summary>
    static List<(string, string)> GroupFields(StatusSnapshot s, string? indent) =>
    [
        ("mode", Str(s.Mode)),
        ("state", Str(s.StateName)),
        ("in_election", Bool(s.InElection)),
        ("election_reason", Str(s.ElectionReason)),
        ("link", Str(s.LinkUp ? "up" : "down")),
        ("since", Str(Timestamp(s.SinceUnixMicros))),
        ("interface", Str(s.Interface)),
        ("vhid", Num(s.Vhid)),
        ("virtual_address", Str(s.VirtualAddress)),
        ("addresses", "[" + string.Join(", ", Lists.ConvertAll(s.AllAddresses, Str)) + "]"),
        ("source_address", Str(s.Source.ToString())),
        ("advbase", Num(s.AdvBase)),
        ("advskew", Num(s.AdvSkew)),
        ("advskew_in_use", Num(s.AdvSkewInUse)),
        ("advskew_reason", Str(s.Skew?.Why)),
        ("preempt", Bool(s.Preempt)),
        ("master", Str(s.Master?.ToString())),
        ("health_check", s.Health is null ? "null" : Health(s.Health)),
        ("etcd", s.Etcd is EtcdHealth etcd ? Etcd(etcd) : "null"),
        ("vrrp", s.Vrrp is VrrpView vrrp ? Vrrp(vrrp) : "null"),
        ("counters", Counters(s, indent)),
    ];

    static string Vrrp(VrrpView v) =>
        "{ " + string.Join(", ",
            Pair("version", Num(v.Version)),
            Pair("priority", Num(v.Priority)),
            Pair("priority_in_use", Num(v.PriorityInUse)),
            Pair("master_priority", v.MasterPriority is byte p ? Num(p) : "null")) + " }";

    static string Etcd(EtcdHealth e) =>
        "{ " + string.Join(", ",
            Pair("reachable", Bool(e.Reachable)),
            Pair("lease", e.Lease is long lease ? Str(lease.ToString("x", CultureInfo.InvariantCulture)) : "null"),
            Pair("renewal_age_seconds", e.RenewalAgeMicros is long age ? Seconds(age) : "null"),
            Pair("fences", Num(e.Fences))) + " }";

    /// <summary>Seconds with six decimals, from integer microseconds.</summary>
    static string Seconds(long micros) =>
        (micros < 0 ? "-" : "") + (Math.Abs(micros) / 1_000_000).ToString(CultureInfo.InvariantCulture) + "."
        + (Math.Abs(micros) % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);

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

    static string Counters(StatusSnapshot s, string? indent)
    {
        string rejected = "{ " + string.Join(", ", Lists.ConvertAll(s.OwnRejectionNames, r => Pair(r.Name, Num(s.RejectedFor(r.Reason))))) + " }";
        string[] pairs =
        [
            Pair("transitions", Num(s.Transitions)),
            Pair("adverts_sent", Num(s.AdvertsSent)),
            Pair("advert_send_errors", Num(s.AdvertSendErrors)),
            Pair("adverts_received", Num(s.AdvertsReceived)),
            Pair("scripts_run", Num(s.ScriptRuns)),
            Pair("script_failures", Num(s.ScriptFailures)),
            Pair("rejected", rejected),
        ];
        // One line (status --json, watch), or a key a line inside the state file's indent.
        return indent is null ? "{ " + string.Join(", ", pairs) + " }"
            : "{\n" + string.Join(",\n", Array.ConvertAll(pairs, p => indent + "  " + p)) + "\n" + indent + "}";
    }

    static string Pair(string key, string value) => Str(key) + ": " + value;

    static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    static string Bool(bool b) => b ? "true" : "false";

    /// <summary>ISO 8601 in UTC with microseconds, as jq's and date's parsers read it.</summary>
    public static string? Timestamp(long unixMicros) => unixMicros is < 0 or > 253_402_300_799_999_999 ? null :
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
