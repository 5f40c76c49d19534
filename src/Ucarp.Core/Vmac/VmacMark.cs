using System.Globalization;

namespace Ucarp.Core.Vmac;

/// <summary>
/// The alias a --vmac child carries, naming the daemon that made it ("ucarp pid 1234"):
/// at start, a child of the same name, parent and MAC is replaced only when its maker is
/// gone (a SIGKILLed run). One without the mark (keepalived's use_vmac, one made by hand)
/// or whose maker still runs (another ucarp with the same id) is never touched.
/// </summary>
public static class VmacMark
{
    const string Prefix = "ucarp pid ";

    public static string Of(int pid) => Prefix + pid.ToString(CultureInfo.InvariantCulture);

    /// <summary>The maker's pid, when <paramref name="alias"/> is a mark.</summary>
    public static bool TryRead(string? alias, out int pid)
    {
        pid = 0;
        return alias is not null && alias.StartsWith(Prefix, StringComparison.Ordinal)
            && int.TryParse(alias.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out pid) && pid > 0;
    }
}
