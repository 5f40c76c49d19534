namespace Ucarp.Core.Config;

/// <summary>
/// The diagnostics of one read, in file order, each said once, and bounded: a hostile
/// file cannot make the report longer than <see cref="MaxErrors"/> errors.
/// </summary>
public sealed class ConfigProblems
{
    public const int MaxErrors = 200;

    readonly List<ConfigDiagnostic> _all = [];
    readonly HashSet<ConfigDiagnostic> _seen = [];
    int _errors;

    public IReadOnlyList<ConfigDiagnostic> All => _all;

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
        if (diagnostic.IsError && ++_errors == MaxErrors)
        {
            _all.Add(ConfigDiagnostic.Error(diagnostic.Line, Logging.Messages.ConfigTooManyProblems));
        }
    }
}
