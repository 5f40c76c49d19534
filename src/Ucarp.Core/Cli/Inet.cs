namespace Ucarp.Core.Cli;

/// <summary>
/// inet_pton(AF_INET): exactly four dotted decimal parts of 0..255, no leading zeros,
/// nothing else. .NET's IPAddress.Parse accepts "1.2.3" and "01.2.3.4"; ucarp does not,
/// and a replacement must refuse what the original refuses.
/// </summary>
public static class Inet
{
    public static bool TryParse(string s, out IPv4 address)
    {
        address = default;
        Span<byte> parts = stackalloc byte[4];
        int octets = 0;
        int value = 0;
        bool sawDigit = false;
        foreach (char c in s)
        {
            if (c >= '0' && c <= '9')
            {
                if (sawDigit && value == 0)
                {
                    return false; // leading zero
                }
                value = value * 10 + (c - '0');
                if (value > 255)
                {
                    return false;
                }
                if (!sawDigit)
                {
                    if (++octets > 4)
                    {
                        return false;
                    }
                    sawDigit = true;
                }
                parts[octets - 1] = (byte)value;
            }
            else if (c == '.' && sawDigit)
            {
                if (octets == 4)
                {
                    return false;
                }
                value = 0;
                sawDigit = false;
            }
            else
            {
                return false;
            }
        }
        if (octets < 4 || !sawDigit)
        {
            return false;
        }
        address = new IPv4(parts);
        return true;
    }
}
