using Ucarp.Core.Cli;
using Ucarp.Core.Config;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Keepalived;

/// <summary>
/// What --from-keepalived prints and says. <see cref="ExitStatus"/>: 0 everything converted;
/// 1 the file could not be read or parsed, or holds no vrrp_instance (nothing printed);
/// 2 printed, but some items are not converted (each a "not converted" line).
/// </summary>
public sealed record KeepalivedConversion(string Text, IReadOnlyList<KeepalivedDiagnostic> Diagnostics, int Groups, int GroupsLeftOut)
{
    public const int AllConverted = 0;
    public const int NotRead = 1;
    public const int PartlyConverted = 2;

    public int ExitStatus => Lists.Any(Diagnostics, d => d.IsError) ? NotRead : Diagnostics.Count > 0 ? PartlyConverted : AllConverted;
}

/// <summary>What the conversion asks of the host: keepalived's config id ("@ID" lines) and an interface's address.</summary>
/// <param name="InterfaceAddress">The interface's primary IPv4 address (true: its link-local IPv6 one), or null.</param>
public sealed record KeepalivedHost(string? ConfigId, Func<string, bool, string?> InterfaceAddress);

/// <summary>What the parts of one conversion share: the scripts, the sync sets, the not-converted list.</summary>
internal sealed class KeepalivedConversionContext(Func<string, bool, string?> interfaceAddress)
{
    public Func<string, bool, string?> InterfaceAddress { get; } = interfaceAddress;
    public Dictionary<string, KeepalivedNode> Scripts { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> SyncSets { get; } = new(StringComparer.Ordinal);
    public List<KeepalivedDiagnostic> Diagnostics { get; } = [];
    readonly HashSet<KeepalivedDiagnostic> _seen = [];

    /// <summary>Said once, however many instances share the statement (a vrrp_script).</summary>
    public void NotConverted(KeepalivedSource where, string message)
    {
        var d = KeepalivedDiagnostic.NotConverted(where, message);
        if (_seen.Add(d))
        {
            Diagnostics.Add(d);
        }
    }

    public string? SyncSetOf(string instance) => SyncSets.GetValueOrDefault(instance);
}

/// <summary>
/// keepalived.conf to ucarp.conf(5): global_defs' VRRP defaults, each vrrp_instance a VRRP
/// group (KeepalivedInstance), vrrp_sync_group a --sync set, the rest not converted with its
/// reason. The groups are then read back by ConfigReader, the reader --check-config uses, and
/// a group it refuses is printed commented out with the reason: what is printed checks out.
/// </summary>
public static class KeepalivedConverter
{
    public static KeepalivedConversion Convert(string path, string shownAs, IKeepalivedFiles files, KeepalivedHost host)
    {
        KeepalivedParse parse = KeepalivedParser.Parse(path, shownAs, files, host.ConfigId);
        return parse.HasErrors ? new KeepalivedConversion("", InFileOrder(parse.Diagnostics, parse.Files), 0, 0) : Convert(parse, shownAs, host);
    }

    /// <summary>Diagnostics file by file as read, line by line within a file.</summary>
    static List<KeepalivedDiagnostic> InFileOrder(IReadOnlyList<KeepalivedDiagnostic> diagnostics, IReadOnlyList<string> files) =>
        Lists.SortedBy(diagnostics, d => (FileRank(d.Where.File, files), d.Where.Line));

    /// <summary>Where the file came in the reading order; one not among them after them all.</summary>
    static int FileRank(string file, IReadOnlyList<string> files)
    {
        for (int i = 0; i < files.Count; i++)
        {
            if (files[i] == file)
            {
                return i;
            }
        }
        return int.MaxValue;
    }

    public static KeepalivedConversion Convert(KeepalivedParse parse, string shownAs, KeepalivedHost host)
    {
        var context = new KeepalivedConversionContext(host.InterfaceAddress);
        foreach (KeepalivedDiagnostic d in parse.Diagnostics)
        {
            context.NotConverted(d.Where, d.Message);
        }
        var globals = new KeepalivedGlobals();
        var instances = new List<KeepalivedNode>();
        var syncGroups = new List<KeepalivedNode>();
        foreach (KeepalivedNode node in parse.Nodes)
        {
            switch (node.Keyword)
            {
                case "global_defs": Globals(node, globals, context); break;
                case "vrrp_instance": Named(node, instances, context); break;
                case "vrrp_sync_group": Named(node, syncGroups, context); break;
                case "vrrp_script":
                    if (node.Arg(0) is string name)
                    {
                        context.Scripts.TryAdd(name, node);
                    }
                    else
                    {
                        context.NotConverted(node.Where, Messages.KeepalivedNoName(node.Keyword));
                    }
                    break;
                default: context.NotConverted(node.Where, Messages.KeepalivedTopKeyword(node.Keyword)); break;
            }
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        var notes = new Dictionary<string, string>(StringComparer.Ordinal);
        SyncGroups(syncGroups, instances, context, notes);
        var groups = new List<ConvertedGroup>();
        foreach (KeepalivedNode instance in instances)
        {
            ConvertedGroup group = new KeepalivedInstance(instance, globals, context).Convert();
            group.Name = UcarpName(group.Instance, names);
            if (group.Name != group.Instance)
            {
                group.Notes.Insert(0, Messages.KeepalivedRenamed("vrrp_instance", group.Instance, group.Name));
            }
            if (notes.TryGetValue(group.Instance, out string? syncNote))
            {
                group.Notes.Insert(0, syncNote);
            }
            if (groups.Count >= ConfigReader.MaxGroups)
            {
                LeaveOut(group, Messages.ConfigTooManyGroups(ConfigReader.MaxGroups), context);
            }
            groups.Add(group);
        }
        if (groups.Count == 0)
        {
            List<KeepalivedDiagnostic> all = InFileOrder(context.Diagnostics, parse.Files);
            all.Add(KeepalivedDiagnostic.Error(new KeepalivedSource(shownAs, 0), Messages.KeepalivedNothingToConvert));
            return new KeepalivedConversion("", all, 0, 0);
        }
        Verify(groups, context);
        string text = KeepalivedOutput.Render(groups, shownAs, out _, header: true, parse.Conditional ? host.ConfigId ?? "" : null);
        int left = Lists.Count(groups, g => g.LeftOut is not null);
        return new KeepalivedConversion(text, InFileOrder(context.Diagnostics, parse.Files), groups.Count - left, left);
    }

    static void Named(KeepalivedNode node, List<KeepalivedNode> into, KeepalivedConversionContext context)
    {
        if (node.Arg(0) is null)
        {
            context.NotConverted(node.Where, Messages.KeepalivedNoName(node.Keyword));
        }
        else
        {
            into.Add(node);
        }
    }

    static void Globals(KeepalivedNode node, KeepalivedGlobals globals, KeepalivedConversionContext context)
    {
        foreach (KeepalivedNode n in node.Children)
        {
            string? value = n.Arg(0);
            switch (n.Keyword)
            {
                case "vrrp_version" when value is "2" or "3": globals.Version = value[0] - '0'; break;
                case "v3_checksum_as_v2": globals.ChecksumRfc = true; break;
                case "vrrp_garp_master_refresh" when value is not null: globals.GarpRefresh = value; break;
                case "vrrp_mcast_group4" when value is not null: globals.Multicast4 = value; break;
                case "vrrp_mcast_group6" when value is not null: globals.Multicast6 = value; break;
                case "default_interface" when value is not null: globals.DefaultInterface = value; break;
                case "router_id": break;   // the name keepalived gives itself in mail and SNMP, which ucarp does not send
                case "vrrp_garp_master_delay" when value == "5": break;   // what ucarp does

                default: context.NotConverted(n.Where, Messages.KeepalivedGlobalKeyword(n.Keyword)); break;
            }
        }
    }

    /// <summary>vrrp_sync_group NAME { group { A B } }: --sync=NAME on A and B.</summary>
    static void SyncGroups(List<KeepalivedNode> syncGroups, List<KeepalivedNode> instances, KeepalivedConversionContext context,
                           Dictionary<string, string> notes)
    {
        var known = new HashSet<string>(instances.ConvertAll(i => i.Arg(0)!), StringComparer.Ordinal);
        var setNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (KeepalivedNode sync in syncGroups)
        {
            string name = sync.Arg(0)!;
            string set = UcarpName(name, setNames);
            foreach (KeepalivedNode n in sync.Children)
            {
                if (n.Keyword != "group")
                {
                    context.NotConverted(n.Where, Messages.KeepalivedSyncKeyword(n.Keyword));
                    continue;
                }
                foreach (KeepalivedNode line in n.Children)
                {
                    List<string> members = [line.Keyword, .. line.Args];
                    foreach (string member in members)
                    {
                        if (!known.Contains(member))
                        {
                            context.NotConverted(line.Where, Messages.KeepalivedSyncUnknownMember(member));
                        }
                        else if (!context.SyncSets.TryAdd(member, set))
                        {
                            context.NotConverted(line.Where, Messages.KeepalivedSyncTwice(member, context.SyncSets[member]));
                        }
                        else if (set != name)
                        {
                            notes[member] = Messages.KeepalivedRenamed("vrrp_sync_group", name, set);
                        }
                    }
                }
            }
        }
    }

    /// <summary>A valid, unused ucarp name for a keepalived one: other characters become '_', at most 32 of them, "-2"... when taken.</summary>
    static string UcarpName(string name, HashSet<string> used)
    {
        var sb = new System.Text.StringBuilder();
        foreach (char c in name)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '_');
        }
        string b = sb.Length == 0 || !char.IsAsciiLetterOrDigit(sb[0]) ? "g" + sb : sb.ToString();
        b = b[..Math.Min(b.Length, GroupOptions.MaxNameLength)];
        string candidate = b;
        for (int n = 2; !used.Add(candidate); n++)
        {
            string suffix = "-" + n;
            candidate = b[..Math.Min(b.Length, GroupOptions.MaxNameLength - suffix.Length)] + suffix;
        }
        return candidate;
    }

    /// <summary>
    /// The groups read back as --check-config reads them (the host's checks aside): a group
    /// refused is left out, with the reader's message, until every group left checks out.
    /// </summary>
    static void Verify(List<ConvertedGroup> groups, KeepalivedConversionContext context)
    {
        for (int round = 0; round <= groups.Count; round++)
        {
            string text = KeepalivedOutput.Render(groups, "", out List<(ConvertedGroup Group, int First, int Last)> spans, header: false);
            ConfigReadResult read = ConfigReader.Read(text, _ => new PassfileRead(PassfileStatus.OpenFailed, "not read"));
            bool blamed = false;
            foreach (ConfigDiagnostic d in read.Diagnostics)
            {
                if (!d.IsError)
                {
                    continue;
                }
                foreach ((ConvertedGroup group, int first, int last) in spans)
                {
                    if (d.Line >= first && d.Line <= last && group.LeftOut is null)
                    {
                        // "... group [web] on line 12": the line of this text, which the user never sees; keepalived's instead.
                        string message = System.Text.RegularExpressions.Regex.Replace(d.Message, @",? on line (\d+)", m =>
                            spans.Find(s => s.First == int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)) is { Group: not null } other
                                ? $" ({other.Group.Where})" : m.Value);
                        LeaveOut(group, message, context, refused: true);
                        blamed = true;
                    }
                }
            }
            if (!blamed)
            {
                return;
            }
        }
    }

    static void LeaveOut(ConvertedGroup group, string reason, KeepalivedConversionContext context, bool refused = false)
    {
        group.LeftOut = reason;
        context.NotConverted(group.Where, refused ? Messages.KeepalivedRefused(group.Instance, reason)
                                                  : Messages.KeepalivedInstanceLeftOut(group.Instance, reason));
    }
}
