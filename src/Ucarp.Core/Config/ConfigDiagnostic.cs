namespace Ucarp.Core.Config;

/// <summary>
/// One problem in a config file, at a line (0: the file as a whole). Errors refuse the
/// file; warnings (ucarp's "no script" lines, a readable password) are said and let pass.
/// </summary>
public readonly record struct ConfigDiagnostic(int Line, bool IsError, string Message)
{
    public static ConfigDiagnostic Error(int line, string message) => new(line, true, message);
    public static ConfigDiagnostic Warning(int line, string message) => new(line, false, message);

    /// <summary>"FILE:LINE: message", as compilers write it, or "FILE: message" for the whole file.</summary>
    public string Format(string file) => Line > 0 ? $"{file}:{Line}: {Message}" : $"{file}: {Message}";
}
