using System.Globalization;

namespace Ucarp.Core.Cli;

/// <summary>
/// One member's client URL: http:// or https://, a host name or address (IPv6 in
/// brackets), an optional port (2379, etcd's, when none), an optional final slash,
/// nothing else. A small parser rather than System.Uri, which would weigh on every
/// daemon's memory for six lines of work.
/// </summary>
public sealed record EtcdEndpoint(bool Https, string Host, int Port)
{
    public const int DefaultPort = 2379;

    /// <summary>host:port as in a URL and a Host header.</summary>
    public string Authority => Host.Contains(':') ? $"[{Host}]:{Port.ToString(CultureInfo.InvariantCulture)}"
                                                  : $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    public override string ToString() => (Https ? "https://" : "http://") + Authority;

    public static bool TryParse(string text, out EtcdEndpoint? endpoint)
    {
        endpoint = null;
        bool https = text.StartsWith("https://", StringComparison.Ordinal);
        if (!https && !text.StartsWith("http://", StringComparison.Ordinal))
        {
            return false;
        }
        string rest = text[(https ? 8 : 7)..];
        if (rest.EndsWith('/'))
        {
            rest = rest[..^1];
        }
        string host;
        string? port = null;
        if (rest.StartsWith('['))
        {
            int close = rest.IndexOf(']');
            if (close < 0 || !Inet.TryParse6(rest[1..close], out _))
            {
                return false;
            }
            host = rest[1..close];
            string after = rest[(close + 1)..];
            if (after.Length != 0)
            {
                if (after[0] != ':')
                {
                    return false;
                }
                port = after[1..];
            }
        }
        else
        {
            int colon = rest.IndexOf(':');
            host = colon < 0 ? rest : rest[..colon];
            port = colon < 0 ? null : rest[(colon + 1)..];
            if (host.Length == 0 || !Lists.All(host, c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
            {
                return false;
            }
        }
        int number = DefaultPort;
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out number) || number is < 1 or > 65535))
        {
            return false;
        }
        endpoint = new EtcdEndpoint(https, host, number);
        return true;
    }
}
