using System.Runtime.InteropServices;
using Ucarp.Core.Cli;
using Ucarp.Core.Groups;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Config;

// The config file (issue 18): `ucarp --config=FILE` runs every group FILE declares, in
// one process. The file speaks ucarp's own language:
//
//     # comment
//     defaults --interface=eth0 --srcip=192.0.2.1 --pass='s3cret' \
//              --upscript=/etc/ucarp/up --downscript=/etc/ucarp/down
//     group web -v 1 -a 192.0.2.10
//     group db  -v 2 -a 192.0.2.11 --advskew 50
//
// - Words are split as a POSIX shell splits them, without expansion (ConfigTokenizer).
// - `group NAME OPTIONS...` declares a group with exactly the options a command line
//   takes (short or long, getopt's rules). NAME: GroupOptions.IsValidName.
// - `defaults OPTIONS...` applies to the groups after it. A group reads as one command
//   line made of every earlier defaults line's options, in file order, then its own:
//   a later value overrides an earlier one option by option, --peer accumulates, and a
//   flag (-P, -n, ...) set in defaults cannot be cleared by a group, as on a command line.
// - Each option goes through the command line's own step (CommandLine.Option.Apply),
//   each group through its checks (CommandLine.Validate; -i is required: no interface is
//   guessed for a file), so an option means the same in both and the messages are
//   ucarp's. Words that are not options are refused (a command line skips them).
// - Refused as well: process-wide options (DaemonOptions.IsProcessWide: the command
//   line's), -h, two groups with one name, one virtual address in two groups, and two
//   CARP groups with one vhid on one interface and advert destination (GroupTable);
//   etcd groups are told apart by their address and may repeat a vhid.
// - Every problem is reported with its line: the line of the offending word for an
//   option, the line where the group starts for the group's checks. A group with a bad
//   option is not checked further, nor are groups after a bad defaults line (their
//   checks would only repeat it). Warnings (no upscript, a readable passfile) do not
//   refuse the file.
//
// Types: ConfigReadResult holds the groups (GroupOptions: name, line, Configuration) and
// the diagnostics; DaemonOptions are the process-wide settings, from the command line
// only; ReloadDiff compares two reads; ConfigPermissions decides the readable-password
// warning from the file's mode.

/// <summary>
/// The groups a file declares that passed every check, and every problem found. A file
/// with errors is refused whole (at start and at a reload); the groups are for the report.
/// </summary>
public sealed record ConfigReadResult(IReadOnlyList<GroupOptions> Groups, IReadOnlyList<ConfigDiagnostic> Diagnostics, bool HoldsPassword)
{
    public bool HasErrors => Lists.Any(Diagnostics, d => d.IsError);
}

public static partial class ConfigReader
{
    public const int MaxGroups = 4096;
    public const int MaxDefaultOptions = 512;

    // The first word of a keepalived.conf block, which someone migrating may paste in.
    static readonly HashSet<string> KeepalivedKeywords = new(StringComparer.Ordinal)
    {
        "global_defs", "vrrp_instance", "vrrp_sync_group", "vrrp_script", "vrrp_track_process", "virtual_server",
        "virtual_server_group", "static_ipaddress", "static_routes", "include",
    };

    // getopt's messages start with the program's name; the reader puts the file's instead.
    const string Program = "ucarp";

    readonly record struct OptionStep(GetoptResult Step, int Line);

    /// <summary>The file's bytes, read as the command line's words are (Latin-1: every byte kept).</summary>
    /// <param name="readPassfile">What -o reads, as <see cref="ICliHost.ReadPassfile"/>.</param>
    public static ConfigReadResult Read(ReadOnlySpan<byte> bytes, Func<string, PassfileRead> readPassfile)
    {
        if (bytes.Length > ConfigTokenizer.MaxFileChars)
        {
            return new ConfigReadResult([], [ConfigDiagnostic.Error(0, Messages.ConfigTooLarge(ConfigTokenizer.MaxFileChars))], false);
        }
        // An editor's UTF-8 byte order mark is not a word of the file.
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            bytes = bytes[3..];
        }
        return Read(System.Text.Encoding.Latin1.GetString(bytes), readPassfile);
    }

    public static ConfigReadResult Read(string text, Func<string, PassfileRead> readPassfile)
    {
        var problems = new ConfigProblems();
        var host = new LineHost(problems, readPassfile);
        IReadOnlyList<ConfigLine> lines = ConfigTokenizer.Tokenize(text, problems);

        var defaults = new List<OptionStep>();
        bool defaultsBroken = false;
        bool holdsPassword = false;
        var declared = new Dictionary<string, int>(StringComparer.Ordinal);
        var groups = new List<GroupOptions>();
        var between = new GroupsBetween();
        int lastDefaults = 0, lastGroup = 0;   // a defaults line after every group applies to none

        int keepalivedDepth = 0;   // inside a keepalived block: said once, at its first line
        foreach (ConfigLine line in lines)
        {
            if (problems.Full)
            {
                break;
            }
            string keyword = line.Words[0].Text;
            if (keepalivedDepth > 0 || (KeepalivedKeywords.Contains(keyword) && line.Words[^1].Text.EndsWith('{')))
            {
                if (keepalivedDepth == 0)
                {
                    problems.Add(ConfigDiagnostic.Error(line.Line, Messages.ConfigKeepalivedBlock(keyword)));
                }
                keepalivedDepth = Math.Max(0, keepalivedDepth + Braces(line.Words));
                continue;
            }
            if (keyword == "defaults")
            {
                lastDefaults = line.Line;
                (List<OptionStep> steps, bool ok) = Scan(line.Words, 1, problems);
                holdsPassword |= steps.Exists(s => s.Step.Option == 'p');
                if (defaults.Count + steps.Count > MaxDefaultOptions)
                {
                    problems.Add(ConfigDiagnostic.Error(line.Line, Messages.ConfigTooManyWords(MaxDefaultOptions)));
                    defaultsBroken = true;
                    continue;
                }
                // Each option is tried here, so a bad one is reported once, at its line.
                var scratch = new Configuration();
                foreach (OptionStep step in steps)
                {
                    if (Apply(step, scratch, host) && Byte(step, host))
                    {
                        defaults.Add(step);
                    }
                    else
                    {
                        ok = false;
                    }
                }
                defaultsBroken |= !ok;
            }
            else if (keyword == "group")
            {
                lastGroup = line.Line;
                if (declared.Count >= MaxGroups)
                {
                    problems.Add(ConfigDiagnostic.Error(line.Line, Messages.ConfigTooManyGroups(MaxGroups)));
                    break;
                }
                if (line.Words.Count < 2)
                {
                    problems.Add(ConfigDiagnostic.Error(line.Line, Messages.ConfigGroupNeedsName));
                    continue;
                }
                if (ReadGroup(line, defaults, defaultsBroken, declared, problems, host, ref holdsPassword) is GroupOptions group
                    && between.TryRegister(group, problems))
                {
                    groups.Add(group);
                }
            }
            else
            {
                problems.Add(ConfigDiagnostic.Error(line.Line, Messages.ConfigUnknownKeyword(keyword)));
            }
        }
        if (lastGroup > 0 && lastDefaults > lastGroup)
        {
            problems.Add(ConfigDiagnostic.Warning(lastDefaults, Messages.ConfigDefaultsAfterGroups));
        }
        // The same groups without either script (the usual case, --manage-addresses): one line for both.
        if (CollectionsMarshal.AsSpan(host.NoUpscript).SequenceEqual(CollectionsMarshal.AsSpan(host.NoDownscript)))
        {
            SayScriptless(host.NoUpscript, Messages.NoScripts, groups, problems);
        }
        else
        {
            SayScriptless(host.NoUpscript, Messages.NoUpscript, groups, problems);
            SayScriptless(host.NoDownscript, Messages.NoDownscript, groups, problems);
        }
        return new ConfigReadResult(groups, problems.All, holdsPassword);
    }

    /// <summary>How many more braces the words open than close (a keepalived block's depth).</summary>
    static int Braces(IReadOnlyList<ConfigWord> words)
    {
        int depth = 0;
        foreach (ConfigWord w in words)
        {
            depth += w.Text.AsSpan().Count('{') - w.Text.AsSpan().Count('}');
        }
        return depth;
    }

    /// <summary>
    /// ucarp's "no script called" warning, once for every group it applies to rather than
    /// once per group (a thousand scriptless groups made two thousand lines), at the first
    /// one's line, with their names.
    /// </summary>
    static void SayScriptless(List<int> lines, string warning, List<GroupOptions> groups, ConfigProblems problems)
    {
        var named = new List<GroupOptions>();
        foreach (int l in lines)
        {
            if (groups.Find(g => g.Line == l) is GroupOptions group)
            {
                named.Add(group);
            }
        }
        if (named.Count == 0)
        {
            return;   // only refused groups lacked one: their errors say enough
        }
        List<string> names = named.ConvertAll(g => g.Name);
        const int Shown = 8;
        string list = string.Join(" ", names.GetRange(0, Math.Min(Shown, names.Count))) + (names.Count > Shown ? Messages.ConfigAndMore(names.Count - Shown) : "");
        problems.Add(ConfigDiagnostic.Warning(named[0].Line, Messages.ConfigScriptless(warning, names.Count, list)));
    }

    /// <returns>The group, or null when it has a problem (reported).</returns>
    static GroupOptions? ReadGroup(ConfigLine line, List<OptionStep> defaults, bool defaultsBroken, Dictionary<string, int> declared,
                                   ConfigProblems problems, LineHost host, ref bool holdsPassword)
    {
        ConfigWord nameWord = line.Words[1];
        string name = nameWord.Text;
        bool ok = true;
        if (!GroupOptions.IsValidName(name))
        {
            problems.Add(ConfigDiagnostic.Error(nameWord.Line, Messages.ConfigBadGroupName(name, GroupOptions.MaxNameLength)));
            ok = false;
        }
        else if (declared.TryGetValue(name, out int first))
        {
            problems.Add(ConfigDiagnostic.Error(nameWord.Line, Messages.ConfigDuplicateGroup(name, first)));
            ok = false;
        }
        else
        {
            declared.Add(name, line.Line);
        }

        (List<OptionStep> steps, bool optionsOk) = Scan(line.Words, 2, problems);
        holdsPassword |= steps.Exists(s => s.Step.Option == 'p');
        var config = new Configuration();
        foreach (OptionStep step in defaults)
        {
            Apply(step, config, host);
        }
        foreach (OptionStep step in steps)
        {
            optionsOk &= Apply(step, config, host);
        }
        if (!optionsOk || defaultsBroken)
        {
            return null;
        }
        foreach (OptionStep step in steps)
        {
            optionsOk &= Byte(step, host);
        }
        if (!optionsOk)
        {
            return null;
        }
        host.Line = line.Line;
        if (CommandLine.Validate(config, host, () => null) != 0 || !ok)
        {
            return null;
        }
        if (config.HasAddress(config.SourceAddress))
        {
            problems.Add(ConfigDiagnostic.Error(line.Line, Messages.ConfigVirtualIsSource(config.SourceAddress.ToString())));
            return null;
        }
        // ucarp refuses a password over 19 bytes only when it starts (status 2), where a
        // --config daemon would hold the group back for good: in a file it is the file's
        // error, which --check-config reports too. (ucarp's passwords are bytes: Latin-1.)
        // A VRRP group's password (none, or version 2's 8 bytes) is checked with its options.
        if (config.Vrrp == 0 && config.Password!.Length > Wire.CarpHmac.MaxPasswordBytes)
        {
            problems.Add(ConfigDiagnostic.Error(line.Line, Messages.ConfigPasswordTooLong(Wire.CarpHmac.MaxPasswordBytes)));
            return null;
        }
        return new GroupOptions(name, line.Line, config);
    }

    /// <summary>
    /// getopt over words[from..], as on a command line but with every non-option word
    /// refused: the options, each with the line of the word it came from.
    /// </summary>
    static (List<OptionStep> Steps, bool Ok) Scan(IReadOnlyList<ConfigWord> words, int from, ConfigProblems problems)
    {
        var steps = new List<OptionStep>();
        bool ok = true;
        var messages = new List<string>();
        int start = from;
        while (start < words.Count)
        {
            var texts = new List<string>(words.Count - start);
            for (int i = start; i < words.Count; i++)
            {
                texts.Add(words[i].Text);
            }
            // POSIXLY_CORRECT: getopt stops at the first operand instead of skipping it.
            var getopt = new GetoptLong(Program, OptionTable.ShortOptions, OptionTable.LongOptions, texts, posixlyCorrect: true, messages.Add);
            while (true)
            {
                GetoptResult step = getopt.Next();
                int line = words[Math.Clamp(start + getopt.Index - 1, start, words.Count - 1)].Line;
                foreach (string message in messages)
                {
                    problems.Add(ConfigDiagnostic.Error(line, GetoptMessage(message)));
                }
                messages.Clear();
                if (step.Kind == GetoptResultKind.End)
                {
                    break;
                }
                if (step.Kind == GetoptResultKind.Error)
                {
                    ok = false;
                }
                else if (step.Option == 'h')
                {
                    problems.Add(ConfigDiagnostic.Error(line, Messages.ConfigNotGroupOption("-h")));
                    ok = false;
                }
                else if (DaemonOptions.IsProcessWide(step.Option))
                {
                    problems.Add(ConfigDiagnostic.Error(line, Messages.ConfigProcessWide(OptionName(step.Option))));
                    ok = false;
                }
                else
                {
                    steps.Add(new OptionStep(step, line));
                }
            }
            int next = start + getopt.Index;
            if (next >= words.Count)
            {
                break;
            }
            // `-k 10# note`: a '#' inside an earlier word did not start a comment, as it would in a shell.
            string? hashed = null;
            for (int i = from; i < next && hashed is null; i++)
            {
                hashed = words[i].Text.IndexOf('#') > 0 ? words[i].Text : null;
            }
            problems.Add(ConfigDiagnostic.Error(words[next].Line, hashed is null ? Messages.ConfigOperand(words[next].Text)
                                                                                  : Messages.ConfigOperandAfterHash(words[next].Text, hashed)));
            ok = false;
            start = next + 1;
        }
        return (steps, ok);
    }
}
