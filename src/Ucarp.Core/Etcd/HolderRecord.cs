using System.Globalization;

namespace Ucarp.Core.Etcd;

/// <summary>
/// The value of a virtual address's key: who holds it, with what advskew, from which
/// host and interface. JSON, so that `etcdctl get --prefix /ucarp` reads plainly:
/// <c>{"holder":"192.0.2.1","advskew":0,"host":"web1","interface":"eth0","vhid":10}</c>.
/// </summary>
public readonly record struct HolderRecord(string Holder, int AdvSkew, string Host, string Interface, int Vhid)
{
    public string ToJson() => string.Create(CultureInfo.InvariantCulture,
        $"{{\"holder\":{Json.Quote(Holder)},\"advskew\":{AdvSkew},\"host\":{Json.Quote(Host)},\"interface\":{Json.Quote(Interface)},\"vhid\":{Vhid}}}");

    static readonly string[] Members = ["holder", "advskew", "host", "interface", "vhid"];

    /// <summary>The record, or null for a value that is not one (written by hand, or by something else).</summary>
    public static HolderRecord? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }
        object? root;
        try
        {
            root = Json.Parse(json, Members);
        }
        catch (FormatException)
        {
            return null;
        }
        if (Json.String(root, "holder") is not string holder || Json.Get(root, "advskew") is not Json.Number)
        {
            return null;
        }
        return new HolderRecord(holder, (int)Json.Int(root, "advskew"), Json.String(root, "host") ?? "", Json.String(root, "interface") ?? "",
                                (int)Json.Int(root, "vhid"));
    }
}
