using System.Globalization;
using System.Text;

namespace Ucarp.Core.Monitoring;

/// <summary>
/// The --metrics-file: Prometheus's text exposition format (version 0.0.4), for
/// node_exporter's textfile collector. Names follow Prometheus's conventions (a ucarp_
/// prefix, _total for counters, base units); every series carries the interface, vhid
/// and vip labels, so several daemons' files can sit in one collector directory.
/// </summary>
public static class MetricsDocument
{
    public static string Build(StatusSnapshot s)
    {
        var m = new StringBuilder(2048);
        string id = $"interface=\"{Label(s.Interface)}\",vhid=\"{s.Vhid.ToString(CultureInfo.InvariantCulture)}\",vip=\"{Label(s.VirtualAddress)}\"";

        Gauge(m, "ucarp_master", "1 when this node is MASTER for the virtual address, else 0.", id, s.State == Carp.CarpState.Master ? 1 : 0);
        Gauge(m, "ucarp_in_election", "1 when this node may become master, 0 while a health check keeps it out.", id, s.InElection ? 1 : 0);
        Gauge(m, "ucarp_link_up", "1 when the interface is running, 0 while its link is down.", id, s.LinkUp ? 1 : 0);
        Gauge(m, "ucarp_advskew", "The advskew in use: -k, plus --check-weight while the health check fails.", id, s.AdvSkewInUse);
        Gauge(m, "ucarp_advskew_weight", "What a failing health check adds to advskew now (0 when passing or without --check-weight).", id,
              s.AdvSkewInUse - s.AdvSkew);
        Header(m, "ucarp_state_change_timestamp_seconds", "gauge", "When the node last changed role, in seconds since the epoch.");
        m.Append("ucarp_state_change_timestamp_seconds{").Append(id).Append("} ")
         .Append(Seconds(s.SinceUnixMicros)).Append('\n');
        Counter(m, "ucarp_transitions_total", "Role changes since the daemon started.", id, s.Transitions);
        Counter(m, "ucarp_adverts_sent_total", "CARP adverts sent.", id, s.AdvertsSent);
        Counter(m, "ucarp_advert_send_errors_total", "CARP adverts the kernel refused to send.", id, s.AdvertSendErrors);
        Counter(m, "ucarp_adverts_received_total", "Valid CARP adverts received from other nodes.", id, s.AdvertsReceived);

        Header(m, "ucarp_rejected_total", "counter", "Frames rejected by the advert checks, by reason.");
        foreach (var (reason, name) in StatusSnapshot.RejectionNames)
        {
            Sample(m, "ucarp_rejected_total", id + ",reason=\"" + name + "\"", s.RejectedFor(reason));
        }
        Counter(m, "ucarp_script_runs_total", "Up and down scripts started.", id, s.ScriptRuns);
        Counter(m, "ucarp_script_failures_total", "Scripts that could not run, exited non-zero or were killed.", id, s.ScriptFailures);
        Counter(m, "ucarp_health_check_runs_total", "Health check runs finished (0 without --check).", id, s.Health?.Runs ?? 0);
        Counter(m, "ucarp_health_check_failures_total", "Health check runs that failed (0 without --check).", id, s.Health?.Failures ?? 0);
        return m.ToString();
    }

    static void Gauge(StringBuilder m, string name, string help, string labels, long value)
    {
        Header(m, name, "gauge", help);
        Sample(m, name, labels, value);
    }

    static void Counter(StringBuilder m, string name, string help, string labels, long value)
    {
        Header(m, name, "counter", help);
        Sample(m, name, labels, value);
    }

    static void Header(StringBuilder m, string name, string type, string help) =>
        m.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
         .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    static void Sample(StringBuilder m, string name, string labels, long value) =>
        m.Append(name).Append('{').Append(labels).Append("} ").Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');

    /// <summary>Seconds with six decimals, from the integer microseconds (a double would round them).</summary>
    static string Seconds(long micros) =>
        (micros / 1_000_000).ToString(CultureInfo.InvariantCulture) + "." + (micros % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>A label value as the text format escapes it: backslash, double quote and newline.</summary>
    public static string Label(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal)
                                                     .Replace("\"", "\\\"", StringComparison.Ordinal)
                                                     .Replace("\n", "\\n", StringComparison.Ordinal);
}
