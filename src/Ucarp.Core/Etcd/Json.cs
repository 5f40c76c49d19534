using System.Globalization;
using System.Text;

namespace Ucarp.Core.Etcd;

/// <summary>
/// The little JSON the etcd gateway and the holder record need: a parser to a plain tree
/// (objects are dictionaries, arrays lists, numbers their text, true/false booleans) and a
/// writer of flat objects. System.Text.Json would do it too, but it brings its encoders'
/// tables into every daemon, CARP ones included (about 0.3 MB more resident memory).
///
/// The text comes from etcd members, which are not trusted: the parser
/// (<see cref="JsonReader"/>) reads UTF-8 as it came off the wire, keeps only the members
/// the caller reads (the others are checked and skipped, at no cost), and gives up with a
/// <see cref="FormatException"/> once what it keeps would pass <see cref="MaxKept"/>.
/// A 16 MiB `[0,0,...]` then costs a bounded tree, not the 32 bytes for each byte that a
/// tree of everything took (508 MB in the daemon for 4 MiB, issue 28).
/// </summary>
public static class Json
{
    /// <summary>
    /// What one document may keep, in bytes (about what its tree allocates). The largest
    /// answers etcd gives us are a sweep of the prefix and a watch message with the events
    /// of an expired lease: an entry per key, each under 1 KiB of tree with a holder record
    /// as its value (the tests measure 7.5 MB for a sweep of 10,000 keys, 9.2 MB for a watch
    /// message of 10,000 events). The product runs a thousand addresses and more on one
    /// lease: ten times that fits, with room to spare.
    /// </summary>
    public const int MaxKept = 12 << 20;

    /// <summary>
    /// The value, or throws <see cref="FormatException"/> for text that is not JSON or keeps
    /// too much. Only the members named in <paramref name="keep"/> are kept (null: all of
    /// them); what the tree keeps is taken from <paramref name="hold"/> as well.
    /// </summary>
    public static object? Parse(ReadOnlySpan<byte> utf8, string[]? keep = null, MemoryBudget.Hold? hold = null) =>
        new JsonReader(utf8, keep, hold).Document();

    /// <summary><see cref="Parse(ReadOnlySpan{byte}, string[], MemoryBudget.Hold)"/> on text (a holder record, a test's answer).</summary>
    public static object? Parse(string text, string[]? keep = null) => Parse(Encoding.UTF8.GetBytes(text), keep);

    /// <summary>A member of an object, or null.</summary>
    public static object? Get(object? node, string name) =>
        node is Dictionary<string, object?> o && o.TryGetValue(name, out object? v) ? v : null;

    public static string? String(object? node, string name) => Get(node, name) as string;

    /// <summary>An integer member, given as a number or as a string (proto3's int64 mapping); 0 when absent.</summary>
    public static long Int(object? node, string name) => TryInt(node, name, out long v) ? v : 0;

    /// <summary>An integer member; false when it is absent or not an int64.</summary>
    public static bool TryInt(object? node, string name, out long value)
    {
        value = 0;
        return Get(node, name) switch
        {
            string s => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value),
            Number n => long.TryParse(n.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value),
            _ => false,
        };
    }

    public static bool True(object? node, string name) => Get(node, name) is true;

    /// <summary>A JSON number, kept as its text.</summary>
    public sealed record Number(string Text);

    /// <summary>A JSON string literal, quotes and escapes included.</summary>
    public static string Quote(string value)
    {
        var b = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case < ' ': b.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: b.Append(c); break;
            }
        }
        return b.Append('"').ToString();
    }
}
