using Ucarp.Core.Logging;

namespace Ucarp.Core.Config;

/// <summary>One word of a config file, with the line it starts on.</summary>
public readonly record struct ConfigWord(string Text, int Line);

/// <summary>A logical line: its words, joined across backslash-newlines; Line is where it starts.</summary>
public sealed record ConfigLine(int Line, IReadOnlyList<ConfigWord> Words);

/// <summary>
/// Splits a config file into words as a POSIX shell would, without any expansion:
/// single quotes keep everything literally; double quotes keep everything but \\ \" \$ \`
/// and backslash-newline; outside quotes a backslash keeps the next character and
/// backslash-newline joins two lines; '#' at the start of a word comments out the rest of
/// the line. One departure, refused rather than misread: a word of blanks alone spelled
/// with a backslash at the end of a line (" \ ", a blank typed after the continuation). '$', '`' and globs are plain characters. For files edited on Windows, a CR
/// outside quotes is a blank and a backslash before CR LF joins lines too. Everything is
/// bounded and a problem is a diagnostic, never an exception: a line with a problem is
/// dropped whole.
/// </summary>
public static class ConfigTokenizer
{
    public const int MaxFileChars = 1 << 20;
    public const int MaxLineChars = 4096;
    public const int MaxWordsPerLine = 512;

    public static IReadOnlyList<ConfigLine> Tokenize(string text, ConfigProblems problems)
    {
        var lines = new List<ConfigLine>();
        if (text.Length > MaxFileChars)
        {
            problems.Add(ConfigDiagnostic.Error(0, Messages.ConfigTooLarge(MaxFileChars)));
            return lines;
        }
        HashSet<int> badLines = PhysicalLineProblems(text, problems);

        var words = new List<ConfigWord>();
        var word = new System.Text.StringBuilder();
        bool inWord = false;
        int wordLine = 0;
        int line = 1;
        int logicalLine = 1;
        bool dropLine = badLines.Contains(1);

        void EndWord()
        {
            if (inWord)
            {
                words.Add(new ConfigWord(word.ToString(), wordLine));
                word.Clear();
                inWord = false;
            }
        }
        void StartWord()
        {
            if (!inWord)
            {
                inWord = true;
                wordLine = line;
            }
        }
        // A newline inside a quote or after a backslash keeps the logical line going.
        void NextPhysicalLine()
        {
            line++;
            dropLine |= badLines.Contains(line);
        }
        void EndLogicalLine()
        {
            EndWord();
            if (words.Count > MaxWordsPerLine)
            {
                problems.Add(ConfigDiagnostic.Error(logicalLine, Messages.ConfigTooManyWords(MaxWordsPerLine)));
            }
            else if (words.Count != 0 && !dropLine)
            {
                lines.Add(new ConfigLine(logicalLine, [.. words]));
            }
            words.Clear();
        }

        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '\n':
                    EndLogicalLine();
                    line++;
                    logicalLine = line;
                    dropLine = badLines.Contains(line);
                    break;
                case ' ' or '\t' or '\r':
                    EndWord();
                    break;
                case '#' when !inWord:
                    while (i + 1 < text.Length && text[i + 1] != '\n')
                    {
                        i++;
                    }
                    break;
                case '\\':
                    if (i + 1 < text.Length && text[i + 1] == '\n')
                    {
                        i++;
                        NextPhysicalLine();
                    }
                    else if (i + 2 < text.Length && text[i + 1] == '\r' && text[i + 2] == '\n')
                    {
                        i += 2;
                        NextPhysicalLine();
                    }
                    else if (!inWord && BlanksToNewline(text, i + 1) is int newline and > 0)
                    {
                        // " \ " then the end of the line: the shell would make a word of the
                        // blank and end the line, and the next line would be read as a group
                        // of its own. Almost always a blank typed after the continuation's
                        // backslash: said once, here, and read as the continuation meant.
                        problems.Add(ConfigDiagnostic.Error(line, Messages.ConfigSpaceAfterBackslash));
                        EndWord();
                        i = newline;
                        NextPhysicalLine();
                    }
                    else if (i + 1 < text.Length)
                    {
                        StartWord();
                        word.Append(text[++i]);
                    }
                    break;
                case '\'':
                case '"':
                    StartWord();
                    int opened = line;
                    i = c == '\'' ? SingleQuoted(text, i + 1, word, NextPhysicalLine) : DoubleQuoted(text, i + 1, word, NextPhysicalLine);
                    if (i >= text.Length)
                    {
                        // Everything after an unclosed quote belongs to it: nothing more to read.
                        problems.Add(ConfigDiagnostic.Error(opened, Messages.ConfigUnterminatedQuote(c)));
                        return lines;
                    }
                    break;
                default:
                    StartWord();
                    word.Append(c);
                    break;
            }
        }
        EndLogicalLine();
        return lines;
    }

    /// <summary>Where the line ends (its LF) when only blanks are left on it from <paramref name="i"/> on, at least one; else -1.</summary>
    static int BlanksToNewline(string text, int i)
    {
        int start = i;
        while (i < text.Length && text[i] is ' ' or '\t' or '\r')
        {
            i++;
        }
        return i > start && i < text.Length && text[i] == '\n' ? i : -1;
    }

    /// <returns>The index of the closing quote, or text.Length when there is none.</returns>
    static int SingleQuoted(string text, int i, System.Text.StringBuilder word, Action newline)
    {
        for (; i < text.Length && text[i] != '\''; i++)
        {
            if (text[i] == '\n')
            {
                newline();
            }
            word.Append(text[i]);
        }
        return i;
    }

    static int DoubleQuoted(string text, int i, System.Text.StringBuilder word, Action newline)
    {
        for (; i < text.Length && text[i] != '"'; i++)
        {
            char c = text[i];
            if (c == '\\' && i + 1 < text.Length)
            {
                char next = text[i + 1];
                if (next is '\\' or '"' or '$' or '`')
                {
                    word.Append(next);
                    i++;
                    continue;
                }
                if (next == '\n')
                {
                    newline();
                    i++;
                    continue;
                }
            }
            if (c == '\n')
            {
                newline();
            }
            word.Append(c);
        }
        return i;
    }

    /// <summary>Lines too long or holding a NUL (which no command-line word can hold): reported, and their logical lines dropped.</summary>
    static HashSet<int> PhysicalLineProblems(string text, ConfigProblems problems)
    {
        var bad = new HashSet<int>();
        int line = 1;
        int start = 0;
        bool nul = false;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && text[i] != '\n')
            {
                nul |= text[i] == '\0';
                continue;
            }
            if (i - start > MaxLineChars)
            {
                problems.Add(ConfigDiagnostic.Error(line, Messages.ConfigLineTooLong(MaxLineChars)));
                bad.Add(line);
            }
            else if (nul)
            {
                problems.Add(ConfigDiagnostic.Error(line, Messages.ConfigNul));
                bad.Add(line);
            }
            line++;
            start = i + 1;
            nul = false;
        }
        return bad;
    }
}
