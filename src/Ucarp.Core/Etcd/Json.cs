using System.Globalization;
using System.Text;

namespace Ucarp.Core.Etcd;

/// <summary>
/// The little JSON the etcd gateway and the holder record need: a parser to a plain tree
/// (objects are dictionaries, arrays lists, numbers their text, true/false booleans) and a
/// writer of flat objects. System.Text.Json would do it too, but it brings its encoders'
/// tables into every daemon, CARP ones included (about 0.3 MB more resident memory).
/// </summary>
public static class Json
{
    /// <summary>The value, or throws <see cref="FormatException"/> for text that is not JSON.</summary>
    public static object? Parse(string text)
    {
        int at = 0;
        object? value = Value(text, ref at, depth: 0);
        SkipSpace(text, ref at);
        if (at != text.Length)
        {
            throw new FormatException("trailing characters in JSON");
        }
        return value;
    }

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

    static object? Value(string s, ref int at, int depth)
    {
        if (depth > 64)
        {
            throw new FormatException("JSON nested too deep");
        }
        SkipSpace(s, ref at);
        if (at >= s.Length)
        {
            throw new FormatException("JSON ends early");
        }
        switch (s[at])
        {
            case '{':
                at++;
                var o = new Dictionary<string, object?>(StringComparer.Ordinal);
                SkipSpace(s, ref at);
                if (Peek(s, at) == '}')
                {
                    at++;
                    return o;
                }
                while (true)
                {
                    SkipSpace(s, ref at);
                    string name = Text(s, ref at);
                    SkipSpace(s, ref at);
                    Expect(s, ref at, ':');
                    o[name] = Value(s, ref at, depth + 1);
                    SkipSpace(s, ref at);
                    if (Peek(s, at) == ',')
                    {
                        at++;
                        continue;
                    }
                    Expect(s, ref at, '}');
                    return o;
                }
            case '[':
                at++;
                var a = new List<object?>();
                SkipSpace(s, ref at);
                if (Peek(s, at) == ']')
                {
                    at++;
                    return a;
                }
                while (true)
                {
                    a.Add(Value(s, ref at, depth + 1));
                    SkipSpace(s, ref at);
                    if (Peek(s, at) == ',')
                    {
                        at++;
                        continue;
                    }
                    Expect(s, ref at, ']');
                    return a;
                }
            case '"':
                return Text(s, ref at);
            case 't':
                Word(s, ref at, "true");
                return true;
            case 'f':
                Word(s, ref at, "false");
                return false;
            case 'n':
                Word(s, ref at, "null");
                return null;
            default:
                int start = at;
                while (at < s.Length && (char.IsAsciiDigit(s[at]) || s[at] is '-' or '+' or '.' or 'e' or 'E'))
                {
                    at++;
                }
                if (at == start)
                {
                    throw new FormatException($"unexpected '{s[at]}' in JSON");
                }
                return new Number(s[start..at]);
        }
    }

    static string Text(string s, ref int at)
    {
        Expect(s, ref at, '"');
        var b = new StringBuilder();
        while (true)
        {
            if (at >= s.Length)
            {
                throw new FormatException("unterminated JSON string");
            }
            char c = s[at++];
            if (c == '"')
            {
                return b.ToString();
            }
            if (c != '\\')
            {
                b.Append(c);
                continue;
            }
            char e = at < s.Length ? s[at++] : throw new FormatException("unterminated JSON escape");
            switch (e)
            {
                case '"': case '\\': case '/': b.Append(e); break;
                case 'b': b.Append('\b'); break;
                case 'f': b.Append('\f'); break;
                case 'n': b.Append('\n'); break;
                case 'r': b.Append('\r'); break;
                case 't': b.Append('\t'); break;
                case 'u':
                    if (at + 4 > s.Length || !ushort.TryParse(s.AsSpan(at, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ushort code))
                    {
                        throw new FormatException("bad \\u escape in JSON");
                    }
                    b.Append((char)code);
                    at += 4;
                    break;
                default:
                    throw new FormatException("bad escape in JSON");
            }
        }
    }

    static void Word(string s, ref int at, string word)
    {
        if (string.CompareOrdinal(s, at, word, 0, word.Length) != 0)
        {
            throw new FormatException("bad literal in JSON");
        }
        at += word.Length;
    }

    static char Peek(string s, int at) => at < s.Length ? s[at] : '\0';

    static void Expect(string s, ref int at, char c)
    {
        if (Peek(s, at) != c)
        {
            throw new FormatException($"expected '{c}' in JSON");
        }
        at++;
    }

    static void SkipSpace(string s, ref int at)
    {
        while (at < s.Length && s[at] is ' ' or '\t' or '\r' or '\n')
        {
            at++;
        }
    }

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
