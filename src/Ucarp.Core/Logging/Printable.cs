namespace Ucarp.Core.Logging;

/// <summary>Text from the network or a file, fit for one log line.</summary>
public static class Printable
{
    /// <summary>At most <paramref name="max"/> characters (then "..."), control characters as '?'.</summary>
    public static string Cut(string text, int max = 80)
    {
        string cut = text.Length > max ? text[..max] + "..." : text;
        return string.Create(cut.Length, cut, (span, s) =>
        {
            for (int i = 0; i < s.Length; i++)
            {
                span[i] = char.IsControl(s[i]) ? '?' : s[i];
            }
        });
    }
}
