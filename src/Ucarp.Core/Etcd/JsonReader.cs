using System.Globalization;
using System.Text;

namespace Ucarp.Core.Etcd;

/// <summary>
/// The parser behind <see cref="Json.Parse(ReadOnlySpan{byte}, string[], MemoryBudget.Hold)"/>,
/// on UTF-8 as it came off the wire (a UTF-16 copy of a body would double it). One walk
/// of the grammar either keeps a value or skips it: a skipped value is checked as strictly
/// as a kept one and allocates nothing, so an answer costs what its caller reads, not what
/// the member sent. Each thing kept is charged about what it allocates; past
/// <see cref="Json.MaxKept"/> the document is refused.
/// </summary>
internal ref struct JsonReader(ReadOnlySpan<byte> text, string[]? keep, MemoryBudget.Hold? hold)
{
    const int MaxDepth = 64;
    // Names are matched in a buffer on the stack: none kept is longer, and a longer one in
    // the text is skipped without being decoded.
    const int MaxNameChars = 64;

    // About what the runtime allocates for each thing kept (64-bit): a dictionary with its
    // first tables, an entry with the tables' spare room, a list, a slot with the doubling's
    // spare room, a string's header (two bytes a character on top), a number's record.
    const int ObjectCost = 128, MemberCost = 48, ArrayCost = 64, ElementCost = 16, StringCost = 24, NumberCost = 24;

    // One box each: a boolean returned as an object would otherwise be a new box each time.
    static readonly object True = true, False = false;

    readonly ReadOnlySpan<byte> _s = text;
    int _at;
    long _kept;

    /// <summary>The whole text as one value.</summary>
    public object? Document()
    {
        foreach (string k in keep ?? [])
        {
            if (k.Length > MaxNameChars)
            {
                throw new ArgumentException($"a member name of more than {MaxNameChars} characters cannot be kept", nameof(keep));
            }
        }
        object? value = Value(depth: 0, kept: true);
        SkipSpace();
        if (_at != _s.Length)
        {
            throw new FormatException("trailing characters in JSON");
        }
        return value;
    }

    /// <summary>The next value: its tree when <paramref name="kept"/>, else null once it is checked and passed.</summary>
    object? Value(int depth, bool kept)
    {
        if (depth > MaxDepth)
        {
            throw new FormatException("JSON nested too deep");
        }
        SkipSpace();
        if (_at >= _s.Length)
        {
            throw new FormatException("JSON ends early");
        }
        switch (_s[_at])
        {
            case (byte)'{':
                return Object(depth, kept);
            case (byte)'[':
                return Array(depth, kept);
            case (byte)'"':
                return String(kept);
            case (byte)'t':
                Word("true"u8);
                return True;
            case (byte)'f':
                Word("false"u8);
                return False;
            case (byte)'n':
                Word("null"u8);
                return null;
            default:
                int start = _at;
                while (_at < _s.Length && (char.IsAsciiDigit((char)_s[_at]) || _s[_at] is (byte)'-' or (byte)'+' or (byte)'.' or (byte)'e' or (byte)'E'))
                {
                    _at++;
                }
                if (_at == start)
                {
                    throw new FormatException($"unexpected byte 0x{_s[_at]:x2} in JSON");
                }
                if (!kept)
                {
                    return null;
                }
                Keep(NumberCost + StringCost + 2 * (_at - start));
                return new Json.Number(Encoding.ASCII.GetString(_s[start.._at]));
        }
    }

    Dictionary<string, object?>? Object(int depth, bool kept)
    {
        _at++;
        Dictionary<string, object?>? o = null;
        if (kept)
        {
            Keep(ObjectCost);
            o = new Dictionary<string, object?>(StringComparer.Ordinal);
        }
        SkipSpace();
        if (Peek() == '}')
        {
            _at++;
            return o;
        }
        while (true)
        {
            SkipSpace();
            string? name = Name(kept);
            SkipSpace();
            Expect(':');
            object? value = Value(depth + 1, name is not null);
            if (name is not null)
            {
                Keep(MemberCost);
                o![name] = value;
            }
            SkipSpace();
            if (Peek() == ',')
            {
                _at++;
                continue;
            }
            Expect('}');
            return o;
        }
    }

    List<object?>? Array(int depth, bool kept)
    {
        _at++;
        List<object?>? a = null;
        if (kept)
        {
            Keep(ArrayCost);
            a = [];
        }
        SkipSpace();
        if (Peek() == ']')
        {
            _at++;
            return a;
        }
        while (true)
        {
            object? value = Value(depth + 1, kept);
            if (kept)
            {
                Keep(ElementCost);
                a!.Add(value);
            }
            SkipSpace();
            if (Peek() == ',')
            {
                _at++;
                continue;
            }
            Expect(']');
            return a;
        }
    }

    /// <summary>A member's name: the caller's own string when it reads that member (all of them without a list), else null.</summary>
    string? Name(bool kept)
    {
        (int start, int end) = Bounds();
        if (!kept)
        {
            return null;
        }
        if (keep is null)
        {
            return Decoded(start, end);
        }
        int length = DecodedLength(start, end);
        if (length > MaxNameChars)
        {
            return null;
        }
        Span<char> name = stackalloc char[MaxNameChars];
        name = name[..length];
        Decode(start, end, name);
        foreach (string k in keep)
        {
            if (name.SequenceEqual(k))
            {
                return k;
            }
        }
        return null;
    }

    string? String(bool kept)
    {
        (int start, int end) = Bounds();
        return kept ? Decoded(start, end) : null;
    }

    /// <summary>A string literal checked and passed; the bounds of what is between its quotes.</summary>
    (int Start, int End) Bounds()
    {
        Expect('"');
        int start = _at;
        while (true)
        {
            int special = _s[_at..].IndexOfAny((byte)'"', (byte)'\\');
            if (special < 0)
            {
                throw new FormatException("unterminated JSON string");
            }
            _at += special;
            if (_s[_at] == '"')
            {
                return (start, _at++);
            }
            _at += Escape(_at, out _);
        }
    }

    /// <summary>The escape at <paramref name="at"/> (its backslash): how many bytes it takes, and the character it stands for.</summary>
    readonly int Escape(int at, out char c)
    {
        if (at + 1 >= _s.Length)
        {
            throw new FormatException("unterminated JSON escape");
        }
        c = (char)_s[at + 1] switch
        {
            '"' or '\\' or '/' => (char)_s[at + 1],
            'b' => '\b',
            'f' => '\f',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => at + 6 <= _s.Length && ushort.TryParse(_s.Slice(at + 2, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ushort code)
                ? (char)code
                : throw new FormatException("bad \\u escape in JSON"),
            _ => throw new FormatException("bad escape in JSON"),
        };
        return _s[at + 1] == 'u' ? 6 : 2;
    }

    /// <summary>A checked literal's text as a string, charged to the document.</summary>
    string Decoded(int start, int end)
    {
        int length = DecodedLength(start, end);
        Keep(StringCost + 2L * length);
        return string.Create(length, new Literal(this, start, end), static (into, literal) => literal.Reader.Decode(literal.Start, literal.End, into));
    }

    /// <summary>How many characters a checked literal's text decodes to: UTF-8 runs (bad bytes as U+FFFD, as the UTF-8 decoder does), each escape one.</summary>
    readonly int DecodedLength(int start, int end)
    {
        int length = 0;
        while (start < end)
        {
            int slash = _s[start..end].IndexOf((byte)'\\');
            int run = slash < 0 ? end - start : slash;
            length += Encoding.UTF8.GetCharCount(_s.Slice(start, run));
            start += run;
            if (slash >= 0)
            {
                start += Escape(start, out _);
                length++;
            }
        }
        return length;
    }

    readonly void Decode(int start, int end, Span<char> into)
    {
        while (start < end)
        {
            int slash = _s[start..end].IndexOf((byte)'\\');
            int run = slash < 0 ? end - start : slash;
            into = into[Encoding.UTF8.GetChars(_s.Slice(start, run), into)..];
            start += run;
            if (slash >= 0)
            {
                start += Escape(start, out into[0]);
                into = into[1..];
            }
        }
    }

    /// <summary>Charges <paramref name="bytes"/> kept to the document (and to the hold); past its bound the document is refused.</summary>
    void Keep(long bytes)
    {
        _kept += bytes;
        if (_kept > Json.MaxKept)
        {
            throw new FormatException($"a JSON document that keeps more than {Json.MaxKept} bytes");
        }
        hold?.Take(bytes);
    }

    /// <summary>Where a checked literal's text is, for <see cref="string.Create"/> to decode it in place.</summary>
    readonly ref struct Literal(JsonReader reader, int start, int end)
    {
        public readonly JsonReader Reader = reader;
        public readonly int Start = start, End = end;
    }

    void Word(ReadOnlySpan<byte> word)
    {
        if (!_s[_at..].StartsWith(word))
        {
            throw new FormatException("bad literal in JSON");
        }
        _at += word.Length;
    }

    readonly char Peek() => _at < _s.Length ? (char)_s[_at] : '\0';

    void Expect(char c)
    {
        if (Peek() != c)
        {
            throw new FormatException($"expected '{c}' in JSON");
        }
        _at++;
    }

    void SkipSpace()
    {
        while (_at < _s.Length && _s[_at] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            _at++;
        }
    }
}
