using Ucarp.Core.Logging;

namespace Ucarp.Core.Keepalived;

internal enum LexKind { Words, Open, Close, Include }

/// <summary>A statement's words (Raw: the text they came from), a brace, or an include's pattern (Raw).</summary>
internal readonly record struct LexLine(LexKind Kind, int Line, IReadOnlyList<string> Words, string Raw);

/// <summary>
/// keepalived's reading of one file's lines (lib/parser.c: read_line, decomment,
/// alloc_strvec), written afresh from what it does:
/// - '#' or '!' outside double quotes ends the line; "\#" and "\!" outside quotes are the
///   characters themselves; blanks around are dropped.
/// - "@ID line" is read only when ID is the config id (keepalived -i, by default the host's
///   short name); "@^ID line" only when it is not.
/// - "include PATTERN" (and includer, includem, includew, includeb, includea) takes the rest
///   of the line, quotes and braces included, as a glob.
/// - A '{' or '}' outside double quotes is a line of its own: what comes before it is one
///   statement, what comes after it is read as the next line.
/// - Words are split at blanks; a word that starts with '"' runs to the next '"' (no
///   escapes), and a '"' inside a word ends it.
/// - $NAME= definitions and ~SEQ/~LST are refused: their expansions are keepalived's own
///   language, and a conversion that guessed at them would be wrong.
/// </summary>
internal static class KeepalivedLexer
{
    const string Blanks = " \t\f\v\r\n";

    /// <returns>Whether any line started with '@' (its reading depends on the config id).</returns>
    public static bool Lex(string text, string? configId, List<LexLine> output, Action<int, string> error)
    {
        bool conditional = false;
        int line = 0;
        int start = 0;
        while (start <= text.Length)
        {
            int end = text.IndexOf('\n', start);
            if (end < 0)
            {
                end = text.Length;
            }
            line++;
            string physical = text[start..end].TrimEnd('\r');
            start = end + 1;
            if (physical.Contains('\0'))
            {
                error(line, Messages.KeepalivedNul);
                continue;
            }
            if (Decomment(physical, out string? unterminated) is not { Length: > 0 } buf)
            {
                continue;
            }
            if (unterminated is not null)
            {
                error(line, Messages.KeepalivedUnterminatedQuote);
                continue;
            }
            conditional |= buf[0] == '@';
            LexLogical(buf, line, configId, output, error);
        }
        return conditional;
    }

    /// <summary>A line and its residues after braces, each through @, include and braces again.</summary>
    static void LexLogical(string buf, int line, string? configId, List<LexLine> output, Action<int, string> error)
    {
        while (buf.Length > 0)
        {
            if (buf[0] == '@')
            {
                bool reverse = buf.Length > 1 && buf[1] == '^';
                int from = reverse ? 2 : 1;
                int blank = buf.IndexOfAny([' ', '\t'], from);
                if (blank < 0)
                {
                    return;
                }
                bool match = configId is not null && buf[from..blank] == configId;
                if (match == reverse)
                {
                    return;
                }
                buf = buf[blank..].TrimStart(' ', '\t');
                continue;
            }
            if (IsDefinition(buf))
            {
                error(line, Messages.KeepalivedDefinition(buf[..buf.IndexOf('=')].TrimEnd()));
                return;
            }
            if (buf.StartsWith("~SEQ", StringComparison.Ordinal) || buf.StartsWith("~LST", StringComparison.Ordinal))
            {
                error(line, Messages.KeepalivedSequence(buf[..4]));
                return;
            }
            if (IncludePattern(buf) is string pattern)
            {
                output.Add(new LexLine(LexKind.Include, line, [], pattern));
                return;
            }
            int brace = FirstBrace(buf);
            if (brace == 0)
            {
                output.Add(new LexLine(buf[0] == '{' ? LexKind.Open : LexKind.Close, line, [], buf[..1]));
                buf = buf[1..].Trim(' ', '\t');
                continue;
            }
            string statement = brace < 0 ? buf : buf[..brace].TrimEnd(' ', '\t');
            if (Words(statement) is List<string> words)
            {
                output.Add(new LexLine(LexKind.Words, line, words, statement));
            }
            else
            {
                error(line, Messages.KeepalivedUnterminatedQuote);
                return;
            }
            buf = brace < 0 ? "" : buf[brace..];
        }
    }

    /// <summary>decomment(): the line without its comment and outer blanks; null-terminated quote reported.</summary>
    internal static string Decomment(string line, out string? unterminated)
    {
        var result = new System.Text.StringBuilder(line.Length);
        bool quote = false;
        unterminated = null;
        int i = 0;
        while (i < line.Length && line[i] is ' ' or '\t')
        {
            i++;
        }
        for (; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '"')
            {
                quote = !quote;
            }
            else if (c == '\\' && i + 1 < line.Length)
            {
                // "\#" and "\!" outside quotes are the characters; any other pair is kept whole.
                if (quote || line[i + 1] is not ('#' or '!'))
                {
                    result.Append(c);
                }
                result.Append(line[++i]);
                continue;
            }
            else if (!quote && c is '#' or '!')
            {
                break;
            }
            result.Append(c);
        }
        if (quote)
        {
            unterminated = line;
        }
        return result.ToString().TrimEnd(' ', '\t');
    }

    static bool IsDefinition(string buf)
    {
        if (buf.Length < 3 || buf[0] != '$' || !(char.IsAsciiLetter(buf[1]) || buf[1] == '_'))
        {
            return false;
        }
        int i = 2;
        while (i < buf.Length && (char.IsAsciiLetterOrDigit(buf[i]) || buf[i] == '_'))
        {
            i++;
        }
        while (i < buf.Length && buf[i] is ' ' or '\t')
        {
            i++;
        }
        return i < buf.Length && buf[i] == '=';
    }

    /// <summary>is_include(): "include" or include[rmwba], then a blank; the rest of the line is the pattern.</summary>
    static string? IncludePattern(string buf)
    {
        if (!buf.StartsWith("include", StringComparison.Ordinal) || buf.Length < 8)
        {
            return null;
        }
        int at = buf[7] is ' ' or '\t' ? 8
               : buf.Length > 8 && "rmwba".Contains(buf[7]) && buf[8] is ' ' or '\t' ? 9
               : -1;
        return at < 0 ? null : buf[at..].TrimStart(' ', '\t');
    }

    /// <summary>The first '{' or '}' outside double quotes, or -1.</summary>
    static int FirstBrace(string buf)
    {
        for (int i = 0; i < buf.Length; i++)
        {
            if (buf[i] == '"')
            {
                int close = buf.IndexOf('"', i + 1);
                if (close < 0)
                {
                    return -1;
                }
                i = close;
            }
            else if (buf[i] is '{' or '}')
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>alloc_strvec(): the words, or null for an unmatched quote.</summary>
    internal static List<string>? Words(string s)
    {
        var words = new List<string>();
        int i = 0;
        while (true)
        {
            while (i < s.Length && Blanks.Contains(s[i]))
            {
                i++;
            }
            if (i >= s.Length)
            {
                return words;
            }
            if (s[i] == '"')
            {
                int close = s.IndexOf('"', i + 1);
                if (close < 0)
                {
                    return null;
                }
                words.Add(s[(i + 1)..close]);
                i = close + 1;
                continue;
            }
            int startWord = i;
            while (i < s.Length && !Blanks.Contains(s[i]) && s[i] != '"')
            {
                i++;
            }
            words.Add(s[startWord..i]);
        }
    }
}
