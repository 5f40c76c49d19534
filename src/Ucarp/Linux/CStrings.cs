using System.Text;

namespace Ucarp.Linux;

/// <summary>
/// Command-line and environment bytes as ucarp sees them. Arguments are read from
/// /proc/self/cmdline and carried as Latin-1 strings (one char per byte), so a password,
/// a path or an xparam in any encoding reaches the HMAC, the log and the scripts'
/// argv byte for byte.
/// </summary>
internal static class CStrings
{
    public static byte[] Bytes(string s) => Encoding.Latin1.GetBytes(s);

    /// <summary>The string as a NUL-terminated C string.</summary>
    public static byte[] Z(string s)
    {
        byte[] z = new byte[s.Length + 1];
        Encoding.Latin1.GetBytes(s, z);
        return z;
    }

    public static string FromBytes(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>argv, exactly as the kernel holds it.</summary>
    public static string[] CommandLine() => SplitNul(File.ReadAllBytes("/proc/self/cmdline"));

    /// <summary>The environment, exactly as the kernel holds it (scripts get it unchanged).</summary>
    public static string[] Environment() => SplitNul(File.ReadAllBytes("/proc/self/environ"));

    static string[] SplitNul(byte[] data)
    {
        var parts = new List<string>();
        int start = 0;
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] == 0)
            {
                parts.Add(FromBytes(data.AsSpan(start, i - start)));
                start = i + 1;
            }
        }
        if (start < data.Length)
        {
            parts.Add(FromBytes(data.AsSpan(start)));
        }
        return [.. parts];
    }
}
