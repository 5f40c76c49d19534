namespace Ucarp.Core.Cli;

/// <summary>
/// glibc's strtoul(s, NULL, 0) and strtol(s, NULL, 0) on an LP64 system. ucarp passes
/// every number through these, so "0x2a", "052", "42abc" and " 42" all mean 42, "abc"
/// means 0 and "-1" means ULONG_MAX. Users' scripts rely on that, so we do too.
/// </summary>
public static class CNumbers
{
    public static ulong StrToUL(string s)
    {
        var (negative, magnitude, overflow) = Scan(s);
        if (overflow)
        {
            return ulong.MaxValue;
        }
        return negative ? unchecked(0UL - magnitude) : magnitude;
    }

    public static long StrToL(string s)
    {
        var (negative, magnitude, overflow) = Scan(s);
        if (negative)
        {
            return overflow || magnitude > (ulong)long.MaxValue + 1 ? long.MinValue : unchecked((long)(0UL - magnitude));
        }
        return overflow || magnitude > long.MaxValue ? long.MaxValue : (long)magnitude;
    }

    static (bool Negative, ulong Magnitude, bool Overflow) Scan(string s)
    {
        int i = 0;
        while (i < s.Length && IsCSpace(s[i]))
        {
            i++;
        }
        bool negative = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-'))
        {
            negative = s[i] == '-';
            i++;
        }
        int radix = 10;
        if (i < s.Length && s[i] == '0')
        {
            // "0x" counts as a hex prefix only when a hex digit follows; otherwise the
            // "0" is the whole number (strtoul("0xg") == 0).
            if (i + 2 < s.Length && (s[i + 1] == 'x' || s[i + 1] == 'X') && Digit(s[i + 2]) is >= 0 and < 16)
            {
                radix = 16;
                i += 2;
            }
            else
            {
                radix = 8;
            }
        }
        ulong value = 0;
        bool overflow = false;
        for (; i < s.Length; i++)
        {
            int d = Digit(s[i]);
            if (d < 0 || d >= radix)
            {
                break;
            }
            if (value > (ulong.MaxValue - (ulong)d) / (ulong)radix)
            {
                overflow = true;
            }
            else
            {
                value = value * (ulong)radix + (ulong)d;
            }
        }
        return (negative, value, overflow);
    }

    static int Digit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'z' => c - 'a' + 10,
        >= 'A' and <= 'Z' => c - 'A' + 10,
        _ => -1,
    };

    // isspace() in the C locale.
    static bool IsCSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';
}
