namespace Ucarp.Core.Keepalived;

/// <summary>
/// The glob(3) keepalived's include uses (GLOB_BRACE, GLOB_MARK): {a,b} alternatives, each
/// expanded in turn; '*', '?' and '[...]' within one path segment; a leading '.' matched
/// only by a '.' in the pattern; each alternative's matches in byte order; a backslash
/// quotes the next character. Directories are listed through <see cref="IKeepalivedFiles"/>.
/// </summary>
internal static class KeepalivedGlob
{
    public const int MaxAlternatives = 64;
    public const int MaxMatches = 1024;

    /// <summary>The paths <paramref name="pattern"/> names, relative to <paramref name="directory"/> unless absolute; null: too many alternatives.</summary>
    public static List<string>? Expand(string directory, string pattern, IKeepalivedFiles files)
    {
        List<string>? alternatives = Braces(pattern);
        if (alternatives is null)
        {
            return null;
        }
        var found = new List<string>();
        foreach (string alternative in alternatives)
        {
            found.AddRange(Walk(directory, alternative, files));
            if (found.Count > MaxMatches)
            {
                return null;
            }
        }
        return found;
    }

    /// <summary>a/b relative to dir, as keepalived's chdir to the including file's directory makes it.</summary>
    public static string Join(string directory, string path) =>
        path.StartsWith('/') || directory.Length == 0 ? path : directory.EndsWith('/') ? directory + path : directory + "/" + path;

    /// <summary>The directory part of a path ("" for a bare name), as dirname(3) without the ".".</summary>
    public static string DirectoryOf(string path)
    {
        int slash = path.TrimEnd('/').LastIndexOf('/');
        return slash < 0 ? "" : slash == 0 ? "/" : path[..slash];
    }

    static List<string> Walk(string directory, string pattern, IKeepalivedFiles files)
    {
        string[] segments = pattern.Split('/');
        // Each candidate is the pattern's text so far, with the quoting backslashes gone.
        var candidates = new List<string> { pattern.StartsWith('/') ? "/" : "" };
        for (int s = pattern.StartsWith('/') ? 1 : 0; s < segments.Length && candidates.Count > 0; s++)
        {
            string segment = segments[s];
            if (segment.Length == 0)
            {
                continue;
            }
            var next = new List<string>();
            if (!HasMeta(segment))
            {
                string literal = Unquote(segment);
                next.AddRange(candidates.ConvertAll(c => Under(c, literal)));
            }
            else
            {
                foreach (string candidate in candidates)
                {
                    IReadOnlyList<string>? names = files.List(Join(directory, candidate.Length == 0 ? "." : candidate));
                    if (names is null)
                    {
                        continue;
                    }
                    var matched = new List<string>();
                    foreach (string n in names)
                    {
                        if (n is not ("." or "..") && (n[0] != '.' || segment[0] == '.') && Match(segment, n))
                        {
                            matched.Add(n);
                        }
                    }
                    matched.Sort(StringComparer.Ordinal);
                    next.AddRange(matched.ConvertAll(n => Under(candidate, n)));
                    if (next.Count > MaxMatches)
                    {
                        break;
                    }
                }
            }
            candidates = next;
        }
        return candidates.FindAll(c => c.Length > 0 && c != "/");
    }

    /// <summary>A name under the pattern's text so far.</summary>
    static string Under(string candidate, string name) => candidate.Length == 0 || candidate.EndsWith('/') ? candidate + name : candidate + "/" + name;

    static bool HasMeta(string segment)
    {
        for (int i = 0; i < segment.Length; i++)
        {
            if (segment[i] == '\\')
            {
                i++;
            }
            else if (segment[i] is '*' or '?' or '[')
            {
                return true;
            }
        }
        return false;
    }

    static string Unquote(string segment)
    {
        var sb = new System.Text.StringBuilder(segment.Length);
        for (int i = 0; i < segment.Length; i++)
        {
            if (segment[i] == '\\' && i + 1 < segment.Length)
            {
                i++;
            }
            sb.Append(segment[i]);
        }
        return sb.ToString();
    }

    /// <summary>fnmatch(3) of one name: '*', '?', '[...]' ('!' or '^' negates, ranges), '\' quotes.</summary>
    internal static bool Match(string pattern, string name)
    {
        int p = 0, n = 0, starP = -1, starN = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starP = ++p;
                starN = n;
                continue;
            }
            if (p < pattern.Length && MatchOne(pattern, ref p, name[n]))
            {
                n++;
                continue;
            }
            if (starP < 0)
            {
                return false;
            }
            // Backtrack: the last '*' takes one more character.
            p = starP;
            n = ++starN;
        }
        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }
        return p == pattern.Length;
    }

    /// <summary>Whether the pattern element at p matches c; p moves past it when it does.</summary>
    static bool MatchOne(string pattern, ref int p, char c)
    {
        char head = pattern[p];
        if (head == '?')
        {
            p++;
            return true;
        }
        if (head == '[' && ClassEnd(pattern, p) is int end and > 0)
        {
            int i = p + 1;
            bool negate = pattern[i] is '!' or '^';
            if (negate)
            {
                i++;
            }
            bool hit = false;
            while (i < end)
            {
                char lo = pattern[i] == '\\' && i + 1 < end ? pattern[++i] : pattern[i];
                i++;
                if (i + 1 < end && pattern[i] == '-')
                {
                    char hi = pattern[i + 1] == '\\' && i + 2 < end ? pattern[i + 2] : pattern[i + 1];
                    i += pattern[i + 1] == '\\' ? 3 : 2;
                    hit |= c >= lo && c <= hi;
                }
                else
                {
                    hit |= c == lo;
                }
            }
            if (hit != negate)
            {
                p = end + 1;
                return true;
            }
            return false;
        }
        char literal = head == '\\' && p + 1 < pattern.Length ? pattern[p + 1] : head;
        if (literal != c)
        {
            return false;
        }
        p += head == '\\' && p + 1 < pattern.Length ? 2 : 1;
        return true;
    }

    /// <summary>The index of the ']' closing the class at p ("[]a]" holds ']'), or -1: then '[' is a plain character.</summary>
    static int ClassEnd(string pattern, int p)
    {
        int i = p + 1;
        if (i < pattern.Length && pattern[i] is '!' or '^')
        {
            i++;
        }
        if (i < pattern.Length && pattern[i] == ']')
        {
            i++;
        }
        for (; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\')
            {
                i++;
            }
            else if (pattern[i] == ']')
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>GLOB_BRACE: "a{b,c{d,e}}f" is abf, acdf, acef; braces that do not balance are plain characters. Null: too many.</summary>
    internal static List<string>? Braces(string pattern)
    {
        var done = new List<string>();
        var work = new Stack<string>();
        work.Push(pattern);
        while (work.Count > 0)
        {
            string p = work.Pop();
            if (FindBraces(p) is not (int open, int close, List<int> commas))
            {
                done.Add(p);
                if (done.Count > MaxAlternatives)
                {
                    return null;
                }
                continue;
            }
            // Pushed last to first, so they come out in order.
            var bounds = new List<int> { open };
            bounds.AddRange(commas);
            bounds.Add(close);
            for (int k = bounds.Count - 2; k >= 0; k--)
            {
                work.Push(p[..open] + p[(bounds[k] + 1)..bounds[k + 1]] + p[(close + 1)..]);
            }
            if (work.Count + done.Count > MaxAlternatives)
            {
                return null;
            }
        }
        return done;
    }

    /// <summary>The first balanced {...} and its top-level commas, or null.</summary>
    static (int Open, int Close, List<int> Commas)? FindBraces(string p)
    {
        for (int open = 0; open < p.Length; open++)
        {
            if (p[open] == '\\')
            {
                open++;
                continue;
            }
            if (p[open] != '{')
            {
                continue;
            }
            int depth = 0;
            var commas = new List<int>();
            for (int i = open; i < p.Length; i++)
            {
                if (p[i] == '\\')
                {
                    i++;
                }
                else if (p[i] == '{')
                {
                    depth++;
                }
                else if (p[i] == ',' && depth == 1)
                {
                    commas.Add(i);
                }
                else if (p[i] == '}' && --depth == 0)
                {
                    return (open, i, commas);
                }
            }
            return null;
        }
        return null;
    }
}
