namespace Ucarp.Core.Keepalived;

/// <summary>
/// How keepalived reads a script (lib/parser.c alloc_strvec_quoted_escaped, core/notify.c):
/// the statement's text is split again with both quote kinds, its second word split once
/// more with quotes and C escapes into the program and its arguments; the words after it
/// name a user. keepalived runs the program itself, or with /bin/sh -c the arguments each
/// single-quoted (a first word that starts with '&lt;' or '&gt;' left bare) when it is not
/// an executable file: ucarp's --check always runs /bin/sh -c, so the same quoting gives
/// the same program the same arguments.
/// </summary>
internal static class KeepalivedScripts
{
    /// <summary>The words of a statement as keepalived splits a script's line, or null for a quote left open.</summary>
    public static List<string>? SplitQuoted(string text, bool escapes)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        int i = 0;
        while (true)
        {
            while (i < text.Length && text[i] is ' ' or '\t' or '\f' or '\v' or '\r' or '\n')
            {
                i++;
            }
            if (i >= text.Length)
            {
                return words;
            }
            word.Clear();
            char quote = '\0';
            for (; i < text.Length; i++)
            {
                char c = text[i];
                if (c == '\\')
                {
                    if (++i >= text.Length)
                    {
                        return null;   // keepalived: "Missing escape char at end"
                    }
                    if (escapes)
                    {
                        i = Escape(text, i, word) - 1;
                    }
                    else
                    {
                        word.Append('\\').Append(text[i]);
                    }
                    continue;
                }
                if (quote != '\0')
                {
                    if (c == quote)
                    {
                        quote = '\0';
                    }
                    else
                    {
                        word.Append(c);
                    }
                    continue;
                }
                if (c is '"' or '\'')
                {
                    quote = c;
                    continue;
                }
                if (c is ' ' or '\t' or '\f' or '\v' or '\r' or '\n')
                {
                    break;
                }
                word.Append(c);
            }
            if (quote != '\0')
            {
                return null;
            }
            words.Add(word.ToString());
        }
    }

    /// <summary>One C escape at text[i] (after the backslash) into word; the index after it.</summary>
    static int Escape(string text, int i, System.Text.StringBuilder word)
    {
        char c = text[i];
        if (c == 'x' && i + 1 < text.Length && Uri.IsHexDigit(text[i + 1]))
        {
            int value = 0, n = 0;
            for (i++; n < 2 && i < text.Length && Uri.IsHexDigit(text[i]); n++, i++)
            {
                value = value * 16 + Convert.ToInt32(text[i].ToString(), 16);
            }
            word.Append((char)value);
            return i;
        }
        if (c == 'c' && i + 1 < text.Length)
        {
            word.Append((char)(text[i + 1] & 0x1f));
            return i + 2;
        }
        if (c is >= '0' and <= '7')
        {
            int value = 0, n = 0;
            for (; n < 3 && i < text.Length && text[i] is >= '0' and <= '7'; n++, i++)
            {
                value = value * 8 + (text[i] - '0');
            }
            word.Append((char)(value & 0xff));
            return i;
        }
        word.Append(c switch
        {
            'a' => '\a', 'b' => '\b', 'E' => '\u001b', 'f' => '\f', 'n' => '\n', 'r' => '\r', 't' => '\t', 'v' => '\v',
            _ => c,
        });
        return i + 1;
    }

    /// <summary>
    /// A script statement (script, notify_master...) as keepalived reads it: the program and
    /// its arguments, and the user it runs as if one is named; null when it cannot be read.
    /// </summary>
    public static (List<string> Args, string? User)? Read(KeepalivedNode node)
    {
        if (SplitQuoted(node.Raw, escapes: false) is not { Count: >= 2 } words
            || SplitQuoted(words[1], escapes: true) is not { Count: >= 1 } args)
        {
            return null;
        }
        return (args, words.Count > 2 ? string.Join(" ", words.GetRange(2, words.Count - 2)) : null);
    }

    /// <summary>The command line /bin/sh -c runs as keepalived runs the script (cmd_str's quoting).</summary>
    public static string ShellCommand(IReadOnlyList<string> args)
    {
        var words = new string[args.Count];
        for (int i = 0; i < words.Length; i++)
        {
            string a = args[i];
            words[i] = i == 0 && a.Length > 0 && a[0] is '<' or '>' ? a : ShellQuote(a);
        }
        return string.Join(" ", words);
    }

    /// <summary>A word the shell reads back as itself: bare when it has nothing the shell would take, else single-quoted.</summary>
    public static string ShellQuote(string word) =>
        word.Length > 0 && Lists.All(word, IsPlain) ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Characters neither the shell nor ucarp.conf's reader give a meaning to.</summary>
    public static bool IsPlain(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '/' or ',' or ':' or '=' or '+' or '@' or '%';
}
