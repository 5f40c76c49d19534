namespace Ucarp.Core.Config;

/// <summary>
/// The diagnostics of one read, each said once, in line order (a group's option errors are
/// found before its value errors), and bounded: a hostile file cannot make the report
/// longer than <see cref="MaxErrors"/> errors.
/// </summary>
public sealed class ConfigProblems
{
    public const int MaxErrors = 200;

    readonly List<ConfigDiagnostic> _all = [];
    readonly HashSet<ConfigDiagnostic> _seen = [];
    int _errors;

    public IReadOnlyList<ConfigDiagnostic> All
    {
        get
        {
            // A stable sort: one line's diagnostics keep the order they were found in.
            List<ConfigDiagnostic> sorted = Lists.SortedBy(_all, d => d.Line);
            if (Full)
            {
                sorted.Add(ConfigDiagnostic.Error(0, Logging.Messages.ConfigTooManyProblems));
            }
            return sorted;
        }
    }

    /// <summary>True once the limit is reached: the reader stops there.</summary>
    public bool Full => _errors >= MaxErrors;

    public bool HasErrors => _errors != 0;

    public void Add(ConfigDiagnostic diagnostic)
    {
        if (Full || !_seen.Add(diagnostic))
        {
            return;
        }
        _all.Add(diagnostic);
        if (diagnostic.IsError)
        {
            _errors++;
        }
    }
}
