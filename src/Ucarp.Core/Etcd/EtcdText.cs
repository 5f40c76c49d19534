namespace Ucarp.Core.Etcd;

/// <summary>Text from etcd made fit for the log.</summary>
public static class EtcdText
{
    /// <summary>A value from etcd, fit for one log line: at most 80 characters, control characters as '?'.</summary>
    public static string Printable(string value)
    {
        string cut = value.Length > 80 ? value[..80] + "..." : value;
        return string.Create(cut.Length, cut, (span, s) =>
        {
            for (int i = 0; i < s.Length; i++)
            {
                span[i] = char.IsControl(s[i]) ? '?' : s[i];
            }
        });
    }
}
