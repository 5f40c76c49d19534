namespace Ucarp.Core.Keepalived;

// `ucarp --from-keepalived=FILE` (issue 30): keepalived.conf read as keepalived reads it
// (KeepalivedLexer: comments, quotes, braces; KeepalivedParser: include with globs, blocks),
// then the common part turned into ucarp.conf(5) groups (KeepalivedConverter). Pure: the
// files are read through IKeepalivedFiles, the interfaces' addresses asked of the caller.

/// <summary>Where a keepalived statement is: the file as the user would name it, and its line.</summary>
public readonly record struct KeepalivedSource(string File, int Line)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}" : File;
}

/// <summary>
/// One keepalived statement: its first word, the other words, the text they were split
/// from (keepalived splits script lines again, with quotes and escapes) and its block, if
/// a '{' followed it.
/// </summary>
public sealed class KeepalivedNode(string keyword, IReadOnlyList<string> args, string raw, KeepalivedSource where)
{
    public string Keyword { get; } = keyword;
    public IReadOnlyList<string> Args { get; } = args;
    public string Raw { get; } = raw;
    public KeepalivedSource Where { get; } = where;
    public IReadOnlyList<KeepalivedNode>? Block => _block;

    internal List<KeepalivedNode>? _block;

    /// <summary>The block's statements, or none.</summary>
    public IReadOnlyList<KeepalivedNode> Children => _block ?? (IReadOnlyList<KeepalivedNode>)[];

    public string? Arg(int i) => i < Args.Count ? Args[i] : null;
}

/// <summary>
/// An error (the file cannot be read or parsed: nothing is printed) or an item that is
/// not converted (the output is printed without it), at a place in keepalived's files.
/// </summary>
public readonly record struct KeepalivedDiagnostic(KeepalivedSource Where, bool IsError, string Message)
{
    public static KeepalivedDiagnostic Error(KeepalivedSource where, string message) => new(where, true, message);
    public static KeepalivedDiagnostic NotConverted(KeepalivedSource where, string message) => new(where, false, message);

    /// <summary>"FILE:LINE: message", or "FILE:LINE: not converted: KEYWORD: reason".</summary>
    public string Format() => IsError ? $"{Where}: {Message}" : $"{Where}: not converted: {Message}";
}

public enum KeepalivedFileStatus { Read, Missing, NotRegular, TooLarge, Failed }

/// <summary>
/// One file read, following symlinks as keepalived's fopen and stat do. Identity tells two
/// names of one file apart (device and inode), so an include cycle through a symlink is seen.
/// </summary>
public readonly record struct KeepalivedFileRead(KeepalivedFileStatus Status, byte[]? Bytes, string Identity, string Error)
{
    public static KeepalivedFileRead Ok(byte[] bytes, string identity) => new(KeepalivedFileStatus.Read, bytes, identity, "");
    public static KeepalivedFileRead Fail(KeepalivedFileStatus status, string error) => new(status, null, "", error);
}

/// <summary>The reading the parser does, injected: the daemon's is Linux's, the tests' a dictionary.</summary>
public interface IKeepalivedFiles
{
    /// <summary>
    /// An absolute path's bytes: at most <paramref name="limit"/> + 1 of them (more is
    /// TooLarge), a regular file that is not executable (keepalived skips anything else:
    /// NotRegular), never blocking on a FIFO or a device.
    /// </summary>
    KeepalivedFileRead Read(string path, int limit);

    /// <summary>The names in a directory (for glob), or null when it cannot be listed.</summary>
    IReadOnlyList<string>? List(string directory);
}
