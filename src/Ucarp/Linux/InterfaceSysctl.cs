namespace Ucarp.Linux;

/// <summary>An interface's IPv4 settings under /proc/sys/net/ipv4/conf/IF/ (the daemon's network namespace's).</summary>
internal static class InterfaceSysctl
{
    public static string PathOf(string iface, string name) => "/proc/sys/net/ipv4/conf/" + iface + "/" + name;

    /// <summary>The setting's value, or null when it cannot be read.</summary>
    public static string? TryRead(string iface, string name)
    {
        try
        {
            return File.ReadAllText(PathOf(iface, name)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Null when written, else why not.</summary>
    public static string? TryWrite(string iface, string name, string value)
    {
        try
        {
            File.WriteAllText(PathOf(iface, name), value + "\n");
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }
}
