namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>
/// The documented difference Ucarp.Net's own long options make in output compared with
/// ucarp's: their lines in the usage text, and their names in getopt's list of
/// possibilities for an ambiguous option. Taken out, the rest must be ucarp's.
/// </summary>
static class OwnOptions
{
    public static List<string> Strip(IEnumerable<string> lines)
    {
        var usage = Core.Cli.UsageText.OwnOptions.TrimEnd('\n').Split('\n').Select(l => "out: " + l).ToHashSet();
        string[] names = Core.Cli.OptionTable.LongOptions.Where(o => o.Value >= '\u0100').Select(o => $" '--{o.Name}'").ToArray();
        return lines.Where(l => !usage.Contains(l))
                    .Select(l => l.Contains("is ambiguous; possibilities:", StringComparison.Ordinal)
                        ? names.Aggregate(l, (line, name) => line.Replace(name, "", StringComparison.Ordinal))
                        : l)
                    .ToList();
    }
}
