namespace Ucarp.Core.Cli;

/// <summary>
/// inet_pton(): what glibc accepts and nothing else. .NET's IPAddress.Parse accepts
/// "1.2.3", "01.2.3.4", "[::1]" and "fe80::1%eth0"; inet_pton does not, and a
/// replacement must refuse what the original refuses.
/// </summary>
public static class Inet
{
    /// <summary>An IPv4 address if the text is one (ucarp's only kind), else an IPv6 one.</summary>
    public static bool TryParse(string s, out IpAddress address) => TryParse4(s, out address) || TryParse6(s, out address);

    /// <summary>inet_pton(AF_INET): exactly four dotted decimal parts of 0..255, no leading zeros.</summary>
    public static bool TryParse4(ReadOnlySpan<char> s, out IpAddress address)
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
        address = new IpAddress(parts);
        return true;
    }

    /// <summary>
    /// inet_pton(AF_INET6), glibc's algorithm (resolv/inet_pton.c): groups of one to four
    /// hex digits, at most one "::", an optional dotted quad as the last 32 bits; no
    /// brackets, no zone ("%eth0"), no prefix length.
    /// </summary>
    public static bool TryParse6(string s, out IpAddress address)
    {
        address = default;
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        int at = 0;          // next byte to write
        int gap = -1;        // where "::" stands, in bytes
        int i = 0;
        if (s.Length == 0)
        {
            return false;
        }
        if (s[0] == ':')
        {
            // A leading colon must be half of "::".
            if (s.Length < 2 || s[1] != ':')
            {
                return false;
            }
            i = 1;
        }
        int groupStart = i;
        int digits = 0;
        int value = 0;
        while (i < s.Length)
        {
            char c = s[i++];
            int digit = HexValue(c);
            if (digit >= 0)
            {
                if (digits == 4)
                {
                    return false;
                }
                value = (value << 4) | digit;
                digits++;
                continue;
            }
            if (c == ':')
            {
                groupStart = i;
                if (digits == 0)
                {
                    if (gap >= 0)
                    {
                        return false; // a second "::"
                    }
                    gap = at;
                    continue;
                }
                if (i == s.Length || at + 2 > 16)
                {
                    return false; // a trailing single colon, or too many groups
                }
                bytes[at++] = (byte)(value >> 8);
                bytes[at++] = (byte)value;
                digits = 0;
                value = 0;
                continue;
            }
            if (c == '.' && at + 4 <= 16 && TryParse4(s.AsSpan(groupStart), out IpAddress v4))
            {
                v4.CopyTo(bytes[at..]);
                at += 4;
                digits = 0;
                i = s.Length;
                break;
            }
            return false;
        }
        if (digits > 0)
        {
            if (at + 2 > 16)
            {
                return false;
            }
            bytes[at++] = (byte)(value >> 8);
            bytes[at++] = (byte)value;
        }
        if (gap >= 0)
        {
            if (at == 16)
            {
                return false; // "::" must stand for at least one group
            }
            int tail = at - gap;
            bytes.Slice(gap, tail).CopyTo(bytes[(16 - tail)..]);
            bytes.Slice(gap, 16 - tail - gap).Clear();
            at = 16;
        }
        if (at != 16)
        {
            return false;
        }
        address = new IpAddress(bytes);
        return true;
    }

    static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
