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
    public static string Build(StatusSnapshot s)
    {
        var j = new StringBuilder(1024);
        j.Append("{\n");
        Field(j, "state", Str(s.StateName));
        Field(j, "in_election", Bool(s.InElection));
        Field(j, "election_reason", Str(s.ElectionReason));
        Field(j, "link", Str(s.LinkUp ? "up" : "down"));
        Field(j, "since", Str(Timestamp(s.SinceUnixMicros)));
        Field(j, "interface", Str(s.Interface));
        Field(j, "vhid", Num(s.Vhid));
        Field(j, "virtual_address", Str(s.VirtualAddress));
        Field(j, "source_address", Str(s.Source.ToString()));
        Field(j, "advbase", Num(s.AdvBase));
        Field(j, "advskew", Num(s.AdvSkew));
        Field(j, "advskew_in_use", Num(s.AdvSkewInUse));
        Field(j, "advskew_reason", Str(s.Skew?.Why));
        Field(j, "preempt", Bool(s.Preempt));
        Field(j, "master", Str(s.Master?.ToString()));
        Field(j, "health_check", s.Health is null ? "null" : Health(s.Health));
        Field(j, "counters", Counters(s));
        Field(j, "pid", Num(s.Pid));
        Field(j, "updated", Str(Timestamp(s.NowUnixMicros)), last: true);
        j.Append("}\n");
        return j.ToString();
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

    static string Counters(StatusSnapshot s)
    {
        string rejected = "{ " + string.Join(", ", StatusSnapshot.RejectionNames.Select(r => Pair(r.Name, Num(s.RejectedFor(r.Reason))))) + " }";
        return "{\n" + string.Join(",\n",
            "    " + Pair("transitions", Num(s.Transitions)),
            "    " + Pair("adverts_sent", Num(s.AdvertsSent)),
            "    " + Pair("advert_send_errors", Num(s.AdvertSendErrors)),
            "    " + Pair("adverts_received", Num(s.AdvertsReceived)),
            "    " + Pair("scripts_run", Num(s.ScriptRuns)),
            "    " + Pair("script_failures", Num(s.ScriptFailures)),
            "    " + Pair("rejected", rejected)) + "\n  }";
    }

    static void Field(StringBuilder j, string key, string value, bool last = false) =>
        j.Append("  ").Append(Pair(key, value)).Append(last ? "\n" : ",\n");

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
