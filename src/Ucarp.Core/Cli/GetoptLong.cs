namespace Ucarp.Core.Cli;

/// <summary>One entry of a getopt_long option table: the long name, whether it takes an argument, its short letter.</summary>
public sealed record LongOption(string Name, bool HasArgument, char Value);

/// <summary>What one step of <see cref="GetoptLong"/> found.</summary>
public readonly record struct GetoptResult(GetoptResultKind Kind, char Option, string? Argument)
{
    public static GetoptResult End => new(GetoptResultKind.End, '\0', null);
}

public enum GetoptResultKind
{
    /// <summary>An option, with its argument if it takes one.</summary>
    Option,
    /// <summary>getopt returned '?': the message is already written; ucarp shows its usage text.</summary>
    Error,
    /// <summary>getopt returned -1: no more options.</summary>
    End,
}

/// <summary>
/// A port of glibc's getopt_long, limited to what ucarp uses (no optional arguments,
/// no "W;", no flag pointers) and faithful in everything a user can see: unique
/// prefixes of long options, ambiguity rules and messages, "--opt=value" and
/// "--opt value", clustered short options, "--", and operands skipped (glibc
/// permutes them to the end) unless POSIXLY_CORRECT is set.
/// System.CommandLine follows different rules, which is why this exists.
/// </summary>
public sealed class GetoptLong
{
    readonly string _program;
    readonly string _shortOptions;
    readonly IReadOnlyList<LongOption> _longOptions;
    readonly bool _posixlyCorrect;
    readonly Action<string> _stderr;
    readonly IReadOnlyList<string> _args;
    int _index;
    string _cluster = "";

    /// <param name="program">argv[0], as glibc prints it in its messages.</param>
    /// <param name="args">argv[1..].</param>
    /// <param name="stderr">Receives each error message, newline included.</param>
    public GetoptLong(string program, string shortOptions, IReadOnlyList<LongOption> longOptions,
                      IReadOnlyList<string> args, bool posixlyCorrect, Action<string> stderr)
    {
        _program = program;
        _shortOptions = shortOptions;
        _longOptions = longOptions;
        _args = args;
        _posixlyCorrect = posixlyCorrect;
        _stderr = stderr;
    }

    /// <summary>optind: the next word to read, so a caller can tell which word a step came from.</summary>
    public int Index => _index;

    public GetoptResult Next()
    {
        if (_cluster.Length == 0)
        {
            while (true)
            {
                if (_index >= _args.Count)
                {
                    return GetoptResult.End;
                }
                string arg = _args[_index];
                if (arg == "--")
                {
                    _index++;
                    return GetoptResult.End;
                }
                if (arg.Length >= 2 && arg[0] == '-')
                {
                    break;
                }
                // An operand: glibc moves it after the options, ucarp never reads it.
                if (_posixlyCorrect)
                {
                    return GetoptResult.End;
                }
                _index++;
            }
            string option = _args[_index++];
            if (option[1] == '-')
            {
                return LongOptionStep(option[2..]);
            }
            _cluster = option[1..];
        }
        return ShortOptionStep();
    }

    GetoptResult ShortOptionStep()
    {
        char c = _cluster[0];
        _cluster = _cluster[1..];
        int at = c == ':' ? -1 : _shortOptions.IndexOf(c);
        if (at < 0)
        {
            _stderr($"{_program}: invalid option -- '{c}'\n");
            return Error(c);
        }
        bool takesArgument = at + 1 < _shortOptions.Length && _shortOptions[at + 1] == ':';
        if (!takesArgument)
        {
            return new GetoptResult(GetoptResultKind.Option, c, null);
        }
        string argument;
        if (_cluster.Length > 0)
        {
            argument = _cluster;
            _cluster = "";
        }
        else if (_index < _args.Count)
        {
            // The next word is the argument whatever it looks like: "-x -i" gives -x "-i".
            argument = _args[_index++];
        }
        else
        {
            _stderr($"{_program}: option requires an argument -- '{c}'\n");
            return Error(c);
        }
        return new GetoptResult(GetoptResultKind.Option, c, argument);
    }

    GetoptResult LongOptionStep(string text)
    {
        int equals = text.IndexOf('=');
        string name = equals < 0 ? text : text[..equals];

        int found = -1;
        for (int i = 0; i < _longOptions.Count; i++)
        {
            if (_longOptions[i].Name == name)
            {
                found = i;
                break;
            }
        }
        if (found < 0)
        {
            found = UcarpAbbreviation(name);
        }
        if (found < 0)
        {
            // Abbreviations: the first prefix match, unless another prefix match
            // differs from it (in ucarp's table, every two options differ).
            bool[]? ambiguous = null;
            for (int i = 0; i < _longOptions.Count; i++)
            {
                LongOption candidate = _longOptions[i];
                if (!candidate.Name.StartsWith(name, StringComparison.Ordinal))
                {
                    continue;
                }
                if (found < 0)
                {
                    found = i;
                }
                else if (candidate.HasArgument != _longOptions[found].HasArgument || candidate.Value != _longOptions[found].Value)
                {
                    ambiguous ??= new bool[_longOptions.Count];
                    ambiguous[found] = true;
                    ambiguous[i] = true;
                }
            }
            if (ambiguous is not null)
            {
                var message = new System.Text.StringBuilder($"{_program}: option '--{text}' is ambiguous; possibilities:");
                for (int i = 0; i < _longOptions.Count; i++)
                {
                    if (ambiguous[i])
                    {
                        message.Append($" '--{_longOptions[i].Name}'");
                    }
                }
                _stderr(message.Append('\n').ToString());
                return Error('\0');
            }
        }
        if (found < 0)
        {
            _stderr($"{_program}: unrecognized option '--{text}'\n");
            return Error('\0');
        }

        LongOption option = _longOptions[found];
        if (equals >= 0)
        {
            if (!option.HasArgument)
            {
                _stderr($"{_program}: option '--{option.Name}' doesn't allow an argument\n");
                return Error(option.Value);
            }
            return new GetoptResult(GetoptResultKind.Option, option.Value, text[(equals + 1)..]);
        }
        if (!option.HasArgument)
        {
            return new GetoptResult(GetoptResultKind.Option, option.Value, null);
        }
        if (_index < _args.Count)
        {
            return new GetoptResult(GetoptResultKind.Option, option.Value, _args[_index++]);
        }
        _stderr($"{_program}: option '--{option.Name}' requires an argument\n");
        return Error(option.Value);
    }

    static GetoptResult Error(char option) => new(GetoptResultKind.Error, option, null);

    /// <summary>
    /// ucarp 1.5.2's options (those with a short letter) keep every abbreviation ucarp
    /// accepts: a prefix that exactly one of them starts is that option, even where it also
    /// starts one of Ucarp.Net's long-only options (--pre is --preempt, not ambiguous with
    /// --preempt-delay; --v is --vhid, not ambiguous with --vrrp). A prefix that two of
    /// ucarp's start, or none, follows glibc's rule over the whole table. -1: no such one.
    /// </summary>
    int UcarpAbbreviation(string name)
    {
        int found = -1;
        for (int i = 0; i < _longOptions.Count; i++)
        {
            LongOption candidate = _longOptions[i];
            if (candidate.Value < '\u0100' && candidate.Name.StartsWith(name, StringComparison.Ordinal))
            {
                if (found >= 0)
                {
                    return -1;
                }
                found = i;
            }
        }
        return found;
    }
}
