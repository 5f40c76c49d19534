using System.Globalization;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Monitoring;

/// <summary>--metrics-listen's ADDRESS:PORT ([ADDRESS]:PORT for IPv6): an address is required, so exposing the metrics beyond the host is a choice (0.0.0.0:PORT).</summary>
public readonly record struct ListenAddress(IpAddress Address, int Port)
{
    public static bool TryParse(string text, out ListenAddress listen, out string error)
    {
        listen = default;
        error = "";
        int colon = text.LastIndexOf(':');
        string host = colon < 0 ? "" : text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':'))
        {
            host = "";   // an IPv6 address without brackets: its last group would be read as the port
        }
        string port = colon < 0 ? "" : text[(colon + 1)..];
        if (!Inet.TryParse(host, out IpAddress address)
            || !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number is < 1 or > 65535)
        {
            error = Logging.Messages.MetricsListenInvalid(text);
            return false;
        }
        listen = new ListenAddress(address, number);
        return true;
    }

    public override string ToString() =>
        (Address.IsV6 ? "[" + Address + "]" : Address.ToString()) + ":" + Port.ToString(CultureInfo.InvariantCulture);
}
