using System.Globalization;
using System.Text;

namespace Ucarp.Core.Monitoring;

/// <summary>
/// The --metrics-file: Prometheus's text exposition format (version 0.0.4), for
/// node_exporter's textfile collector. Names follow Prometheus's conventions (a ucarp_
/// prefix, _total for counters, base units); every series carries the interface, vhid
/// and vip labels, so several daemons' files can sit in one collector directory. In
/// --config mode every group's series sit under one HELP and TYPE per family (the format
/// allows each family once), labelled with the group's name as well.
/// </summary>
public static class MetricsDocument
{
    /// <summary>A plain command line: one group, no group label.</summary>
    public static string Build(StatusSnapshot s) => Build([s], named: false);

    /// <summary>--config mode: every group, each series labelled group, interface, vhid and vip.</summary>
    public static string Build(IReadOnlyList<StatusSnapshot> groups) => Build(groups, named: true);

    static string Build(IReadOnlyList<StatusSnapshot> groups, bool named)
    {
        var m = new StringBuilder(2048 * Math.Max(groups.Count, 1));
        var ids = new string[groups.Count];
        for (int i = 0; i < groups.Count; i++)
        {
            ids[i] = Id(groups[i], named);
        }
        foreach (Family family in Families)
        {
            // A family no group has (etcd's in a CARP daemon, rejections in an etcd one) is left out whole.
            if (family.Of is not null && !Lists.Any(groups, family.Of))
            {
                continue;
            }
            m.Append("# HELP ").Append(family.Name).Append(' ').Append(family.Help).Append('\n')
             .Append("# TYPE ").Append(family.Name).Append(' ').Append(family.Type).Append('\n');
            for (int i = 0; i < groups.Count; i++)
            {
                if (family.Of?.Invoke(groups[i]) != false)
                {
                    family.Samples(m, family.Name, ids[i], groups[i]);
                }
            }
        }
        return m.ToString();
    }

    static string Id(StatusSnapshot s, bool named) =>
        (named ? $"group=\"{Label(s.Name ?? "")}\"," : "")
        + $"interface=\"{Label(s.Interface)}\",vhid=\"{s.Vhid.ToString(CultureInfo.InvariantCulture)}\",vip=\"{Label(s.VirtualAddress)}\"";

    /// <summary>
    /// One metric family: its header once, then a group's samples given the group's labels;
    /// <see cref="Of"/>: only the groups it says (etcd series for etcd groups, say).
    /// </summary>
    sealed record Family(string Name, string Type, string Help, Action<StringBuilder, string, string, StatusSnapshot> Samples)
    {
        public Func<StatusSnapshot, bool>? Of { get; init; }
    }

    /// <summary>The groups that read frames off the wire, and so reject some.</summary>
    static bool TakesFrames(StatusSnapshot s) => s.Mode is "carp" or "vrrp";

    // ucarp_state's values, each a series (before Families, which uses it).
    static readonly string[] States = ["MASTER", "BACKUP", "INIT", "WAITING", "STOPPED"];

    // The order of the file; a new metric joins here.
    static readonly Family[] Families =
    [
        new("ucarp_build_info", "gauge", "Ucarp.Net's version and the ucarp release it replaces.", (m, name, id, s) =>
            Sample(m, name, id + ",version=\"" + Cli.UsageText.Version + "\",ucarp=\"1.5.2\"", 1)),
        // Rewritten every 10 s at least: the file of a daemon that died without a word goes stale.
        new("ucarp_metrics_written_timestamp_seconds", "gauge", "When the daemon wrote this file, in seconds since the epoch.", (m, name, id, s) =>
            m.Append(name).Append('{').Append(id).Append("} ").Append(Seconds(s.NowUnixMicros)).Append('\n')),
        Gauge("ucarp_master", "1 when this node is MASTER for the virtual address, else 0.", s => s.State == Carp.CarpState.Master ? 1 : 0),
        // Every address, extras too: 1 while this node is MASTER (it holds them), else 0.
        new("ucarp_address_master", "gauge", "1 for each of the group's addresses while this node is MASTER, else 0.", (m, name, id, s) =>
        {
            foreach (string address in s.AllAddresses)
            {
                Sample(m, name, id + ",address=\"" + Label(address) + "\"", s.State == Carp.CarpState.Master && !s.Stopped ? 1 : 0);
            }
        }),
        new("ucarp_state", "gauge", "1 for the group's state (MASTER, BACKUP, INIT, WAITING, STOPPED), 0 for the others.", (m, name, id, s) =>
        {
            foreach (string state in States)
            {
                Sample(m, name, id + ",state=\"" + state + "\"", s.StateName == state ? 1 : 0);
            }
        }),
        Gauge("ucarp_in_election", "1 when this node may become master, 0 while a health check keeps it out.", s => s.InElection ? 1 : 0),
        Gauge("ucarp_link_up", "1 when the interface is running, 0 while its link is down.", s => s.LinkUp ? 1 : 0),
        Gauge("ucarp_advskew", "The advskew in use: -k, plus --check-weight while the health check fails.", s => s.AdvSkewInUse),
        Gauge("ucarp_advskew_weight", "What a failing health check adds to advskew now (0 when passing or without --check-weight).",
              s => s.AdvSkewInUse - s.AdvSkew),
        new("ucarp_state_change_timestamp_seconds", "gauge", "When the node last changed role, in seconds since the epoch.",
            (m, name, id, s) => m.Append(name).Append('{').Append(id).Append("} ").Append(Seconds(s.SinceUnixMicros)).Append('\n')),
        Counter("ucarp_transitions_total", "Role changes since the daemon started.", s => s.Transitions),
        Counter("ucarp_adverts_sent_total", "CARP adverts sent.", s => s.AdvertsSent),
        Counter("ucarp_advert_send_errors_total", "CARP adverts the kernel refused to send.", s => s.AdvertSendErrors),
        Counter("ucarp_adverts_received_total", "Valid CARP adverts received from other nodes.", s => s.AdvertsReceived),
        new("ucarp_rejected_total", "counter", "Frames rejected by the advert checks, by reason.", (m, name, id, s) =>
        {
            foreach (var (reason, reasonName) in s.OwnRejectionNames)
            {
                Sample(m, name, id + ",reason=\"" + reasonName + "\"", s.RejectedFor(reason));
            }
        }) { Of = TakesFrames },
        Gauge("ucarp_vrrp_priority", "The priority a VRRP group advertises now: its own, less --check-weight while the check fails (VRRP groups).",
              s => s.Vrrp!.Value.PriorityInUse) with { Of = s => s.Vrrp is not null },
        Gauge("ucarp_vrrp_master_priority", "The priority the VRRP master advertises (ours when MASTER); absent while no master is known (VRRP groups).",
              s => s.Vrrp!.Value.MasterPriority!.Value) with { Of = s => s.Vrrp?.MasterPriority is not null },
        Counter("ucarp_script_runs_total", "Up and down scripts started.", s => s.ScriptRuns),
        Counter("ucarp_script_failures_total", "Scripts that could not run, exited non-zero or were killed.", s => s.ScriptFailures),
        Counter("ucarp_health_check_runs_total", "Health check runs finished (0 without --check).", s => s.Health?.Runs ?? 0),
        Counter("ucarp_health_check_failures_total", "Health check runs that failed (0 without --check).", s => s.Health?.Failures ?? 0),
        Gauge("ucarp_etcd_reachable", "1 when etcd answered the group's last request, else 0 (etcd and follow groups).",
              s => s.Etcd!.Value.Reachable ? 1 : 0) with { Of = s => s.Etcd is not null },
        Gauge("ucarp_etcd_lease", "1 while the group's session holds an etcd lease, else 0 (etcd groups).",
              s => s.Etcd!.Value.Lease is null ? 0 : 1) with { Of = s => s.Etcd is not null && s.Mode == "etcd" },
        new("ucarp_etcd_renewal_age_seconds", "gauge", "How long ago the last answered lease renewal was sent (etcd groups holding a lease).",
            (m, name, id, s) => m.Append(name).Append('{').Append(id).Append("} ").Append(Seconds(s.Etcd!.Value.RenewalAgeMicros!.Value)).Append('\n'))
        {
            Of = s => s.Etcd?.RenewalAgeMicros is not null,
        },
        Counter("ucarp_etcd_fences_total", "Times the lease was given up because no renewal was answered in time (etcd groups).",
                s => s.Etcd!.Value.Fences) with { Of = s => s.Etcd is not null && s.Mode == "etcd" },
    ];

    static Family Gauge(string name, string help, Func<StatusSnapshot, long> value) =>
        new(name, "gauge", help, (m, n, id, s) => Sample(m, n, id, value(s)));

    static Family Counter(string name, string help, Func<StatusSnapshot, long> value) =>
        new(name, "counter", help, (m, n, id, s) => Sample(m, n, id, value(s)));

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
